import { ID_PATTERN } from "../ids.ts";
import { NAME_PATTERN } from "../names.ts";

/**
 * Host labels under the base domain. Names never contain "--", so it separates parts:
 *   <env>--<service>           an environment's live release
 *   <deploymentId>--<service>  one deployment's immutable preview (ids start with a digit)
 */
export type SiteTarget =
  | { kind: "environment"; service: string; environment: string }
  | { kind: "preview"; service: string; deploymentId: string };

export function environmentLabel(service: string, environment: string): string {
  return `${environment}--${service}`;
}

export function previewLabel(service: string, deploymentId: string): string {
  return `${deploymentId}--${service}`;
}

export function siteUrl(publicUrl: string, baseDomain: string, label: string): string {
  const u = new URL(publicUrl);
  u.hostname = `${label}.${baseDomain}`;
  return u.origin;
}

/** Parses a Host header; null when it is not a site host under the base domain. */
export function parseSiteHost(host: string | undefined, baseDomain: string): SiteTarget | null {
  if (!host) return null;
  const hostname = host.replace(/:\d+$/, "").replace(/\.$/, "").toLowerCase();
  const suffix = `.${baseDomain}`;
  if (!hostname.endsWith(suffix)) return null;
  const label = hostname.slice(0, -suffix.length);
  if (label.includes(".")) return null;
  const parts = label.split("--");
  if (parts.length !== 2) return null;
  const [first, service] = parts as [string, string];
  if (!NAME_PATTERN.test(service)) return null;
  if (ID_PATTERN.test(first)) return { kind: "preview", service, deploymentId: first };
  if (NAME_PATTERN.test(first)) return { kind: "environment", service, environment: first };
  return null;
}
