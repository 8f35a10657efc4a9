import { domainToASCII, domainToUnicode } from "node:url";
import { unprocessable } from "../errors.ts";

/** One DNS label in its lowercase ASCII (LDH) form. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
export const HOSTNAME_MAX = 253;

/** Trims, lowercases and drops one trailing dot: what a user means by a hostname. */
export function normalizeHostname(input: string): string {
  return input.trim().toLowerCase().replace(/\.$/, "");
}

/**
 * Whether a name is a syntactically safe server name: lowercase LDH labels of 1–63
 * characters, no leading or trailing hyphen, at most 253 characters. What may reach an
 * nginx `server_name`; custom domains must also pass `hostnameProblem`.
 */
export function isServerName(name: string): boolean {
  if (name.length === 0 || name.length > HOSTNAME_MAX) return false;
  return name.split(".").every((label) => LABEL.test(label));
}

/**
 * What is wrong with `hostname` (already normalized) as a custom domain, or null.
 * Labels under `baseDomain` that look like site labels (`<env>--<service>`, previews)
 * belong to Berth, and so does the base domain itself.
 */
export function hostnameProblem(hostname: string, baseDomain: string): string | null {
  if (hostname.length === 0) return "is required";
  if (hostname.includes("*")) return "cannot be a wildcard: add each hostname on its own";
  if (/[/?#@\s]/.test(hostname) || /^[a-z0-9.-]+:\d*$/.test(hostname)) {
    return "must be a bare hostname, without scheme, path or port";
  }
  if (hostname.includes(":") || hostname.startsWith("[")) {
    return "is an IP address, not a domain name";
  }
  if (IPV4.test(hostname)) return "is an IP address, not a domain name";
  if (/[^\x20-\x7e]/.test(hostname)) {
    const ascii = domainToASCII(hostname);
    return ascii
      ? `must be written in its ASCII (punycode) form: ${ascii}`
      : "contains characters that are not allowed in a domain name";
  }
  if (hostname.length > HOSTNAME_MAX) {
    return `is longer than ${HOSTNAME_MAX} characters`;
  }
  const labels = hostname.split(".");
  if (labels.length < 2) return "needs at least two labels, such as example.com";
  for (const label of labels) {
    if (label.length === 0) return "has an empty label (two dots in a row)";
    if (label.length > 63) return `has a label longer than 63 characters ("${label}")`;
    if (!/^[a-z0-9-]+$/.test(label)) {
      return `has a label with characters other than a-z, 0-9 and "-" ("${label}")`;
    }
    if (label.startsWith("-") || label.endsWith("-")) {
      return `has a label that starts or ends with "-" ("${label}")`;
    }
    // "ab--cd" is reserved by IDNA for encodings; only punycode's "xn--" is in use
    if (label.slice(2, 4) === "--" && !label.startsWith("xn--")) {
      return `has a label with "--" in third and fourth position ("${label}"), which IDNA reserves`;
    }
  }
  const tld = labels.at(-1) as string;
  if (!/^[a-z]{2,63}$/.test(tld) && !tld.startsWith("xn--")) {
    return `ends in "${tld}", which is not a top-level domain (letters only)`;
  }
  // punycode must decode, and encode back to itself ("xn--zz" decodes to nothing)
  for (const label of labels) {
    if (!label.startsWith("xn--")) continue;
    const unicode = domainToUnicode(label);
    if (unicode === label || unicode === "" || domainToASCII(unicode) !== label) {
      return `has a label that is not valid punycode ("${label}")`;
    }
  }
  if (hostname === baseDomain) return "is Berth's own base domain";
  const suffix = `.${baseDomain}`;
  if (hostname.endsWith(suffix)) {
    const label = hostname.slice(0, -suffix.length);
    if (!label.includes(".") && label.includes("--")) {
      return `is reserved for Berth's site addresses under ${baseDomain} (labels with "--")`;
    }
  }
  return null;
}

/** Normalizes and validates a custom domain; a 422 `invalid_hostname` names the problem. */
export function assertHostname(input: string, baseDomain: string): string {
  const hostname = normalizeHostname(input);
  const problem = hostnameProblem(hostname, baseDomain);
  if (problem) {
    const shown = hostname.length > 80 ? `${hostname.slice(0, 77)}...` : hostname;
    throw unprocessable("invalid_hostname", `"${shown}" ${problem}.`, "hostname");
  }
  return hostname;
}

/** The name that redirects to `hostname` when the www redirect is on. */
export function wwwOf(hostname: string): string {
  return `www.${hostname}`;
}
