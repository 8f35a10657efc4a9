import { isIP } from "node:net";
import { z } from "zod";
import { parseServer } from "../../adapters/dns/dns-client.ts";
import { TSIG_ALGORITHMS, type TsigAlgorithm } from "../../adapters/dns/tsig.ts";
import { unprocessable } from "../../domain/errors.ts";
import { Secret } from "../../domain/secret.ts";
import { readSection, writeSection } from "../core/settings.ts";
import type { EdgeDeps } from "./deps.ts";

export const DNS_PROVIDERS = ["none", "cloudflare", "rfc2136"] as const;
export type DnsProviderKind = (typeof DNS_PROVIDERS)[number];
export { TSIG_ALGORITHMS };

export const DEFAULT_DNS_TTL = 300;
const SECTION = "dns";
const TOKEN = "cloudflare.apiToken";
const KEY_SECRET = "rfc2136.keySecret";

export type CloudflareSettings = {
  apiToken: Secret | null;
  proxied: boolean;
  baseUrl: string | null;
};
export type Rfc2136Settings = {
  server: string;
  zone: string | null;
  keyName: string;
  keyAlgorithm: TsigAlgorithm;
  keySecret: Secret | null;
  ttl: number;
};
export type DnsSettings = {
  provider: DnsProviderKind;
  cloudflare: CloudflareSettings | null;
  rfc2136: Rfc2136Settings | null;
  updatedAt: number | null;
  /** Changes with every save: lets a built provider be reused until then. */
  version: string;
};

const HOST =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const plainName = (s: string) => s.toLowerCase().replace(/\.$/, "");

function validServer(text: string): boolean {
  const { host, port } = parseServer(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
  return isIP(host) !== 0 || HOST.test(host.toLowerCase());
}

function validKeySecret(text: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return false;
  return Buffer.from(text, "base64").length >= 16;
}

/** What a client sends: every field checked here, so a bad one is a 422 naming it. */
const InputSchema = z.object({
  provider: z.enum(DNS_PROVIDERS, { error: "Choose none, cloudflare or rfc2136." }),
  cloudflare: z
    .object({
      apiToken: z
        .string()
        .trim()
        .max(400, "That is too long for a Cloudflare API token.")
        .regex(
          /^[\x21-\x7e]*$/,
          "A Cloudflare API token is one word of letters, digits and symbols.",
        )
        .optional(),
      proxied: z.boolean().optional(),
      baseUrl: z
        .union([
          z.literal(""),
          z.url({ protocol: /^https?$/, error: "baseUrl must be an http(s) URL." }),
        ])
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  rfc2136: z
    .object({
      server: z
        .string()
        .trim()
        .min(1, "Enter the DNS server, for example 192.0.2.53 or ns1.example.com:53.")
        .refine(
          validServer,
          "Enter the DNS server as host or host:port, for example ns1.example.com:53.",
        ),
      zone: z
        .string()
        .trim()
        .transform(plainName)
        .refine(
          (s) => s === "" || HOST.test(s),
          "Enter the zone as a domain name, such as example.com.",
        )
        .nullable()
        .optional(),
      keyName: z
        .string()
        .trim()
        .transform(plainName)
        .refine(
          (s) => HOST.test(s),
          "Enter the TSIG key's name as the server knows it, such as berth-key.",
        ),
      keyAlgorithm: z
        .enum(TSIG_ALGORITHMS, { error: "The key algorithm must be hmac-sha256 or hmac-sha512." })
        .optional(),
      keySecret: z
        .string()
        .trim()
        .refine(
          (s) => s === "" || validKeySecret(s),
          "The key secret must be base64 of at least 16 bytes, as tsig-keygen prints it.",
        )
        .optional(),
      ttl: z
        .number({ error: "The TTL must be a number of seconds." })
        .int("The TTL must be a whole number of seconds.")
        .min(30, "The TTL must be at least 30 seconds.")
        .max(86_400, "The TTL must be at most 86400 seconds (a day)."),
    })
    .partial({ ttl: true })
    .nullable()
    .optional(),
});
export type DnsSettingsInput = z.input<typeof InputSchema>;

/** The plain values as stored (secrets live in their own encrypted rows). */
const StoredSchema = z.object({
  provider: z.enum(DNS_PROVIDERS),
  cloudflare: z.object({ proxied: z.boolean(), baseUrl: z.string().nullable() }).nullable(),
  rfc2136: z
    .object({
      server: z.string(),
      zone: z.string().nullable(),
      keyName: z.string(),
      keyAlgorithm: z.enum(TSIG_ALGORITHMS),
      ttl: z.number(),
    })
    .nullable(),
});

export function getDnsSettings(deps: EdgeDeps): DnsSettings {
  const read = readSection(deps, SECTION);
  const stored = StoredSchema.safeParse(read.values);
  if (read.values !== undefined && !stored.success)
    deps.logger.warn("the saved DNS settings are not readable: using none");
  const v = stored.success
    ? stored.data
    : { provider: "none" as const, cloudflare: null, rfc2136: null };
  return {
    provider: v.provider,
    cloudflare: v.cloudflare && { ...v.cloudflare, apiToken: read.secrets.get(TOKEN) ?? null },
    rfc2136: v.rfc2136 && { ...v.rfc2136, keySecret: read.secrets.get(KEY_SECRET) ?? null },
    updatedAt: read.updatedAt,
    version: read.version,
  };
}

/**
 * Merges input into the current settings without saving. An omitted section is kept, a
 * null one dropped; an empty secret field keeps the saved secret. Throws a 422 naming
 * the first bad field.
 */
export function resolveDnsSettings(input: unknown, current: DnsSettings): DnsSettings {
  const parsed = InputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "provider";
    throw unprocessable("invalid_dns_settings", issue?.message ?? "Invalid DNS settings.", field);
  }
  const { provider, cloudflare: cf, rfc2136: rf } = parsed.data;
  const was = { cf: current.cloudflare, rf: current.rfc2136 };
  const cloudflare: CloudflareSettings | null =
    cf === undefined
      ? was.cf
      : cf && {
          apiToken: cf.apiToken ? new Secret(cf.apiToken) : (was.cf?.apiToken ?? null),
          proxied: cf.proxied ?? was.cf?.proxied ?? false,
          baseUrl: cf.baseUrl === undefined ? (was.cf?.baseUrl ?? null) : cf.baseUrl || null,
        };
  const rfc2136: Rfc2136Settings | null =
    rf === undefined
      ? was.rf
      : rf && {
          server: rf.server,
          zone: rf.zone || null,
          keyName: rf.keyName,
          keyAlgorithm: rf.keyAlgorithm ?? was.rf?.keyAlgorithm ?? "hmac-sha256",
          keySecret: rf.keySecret ? new Secret(rf.keySecret) : (was.rf?.keySecret ?? null),
          ttl: rf.ttl ?? was.rf?.ttl ?? DEFAULT_DNS_TTL,
        };
  if (provider === "cloudflare" && !cloudflare?.apiToken)
    throw unprocessable("invalid_dns_settings", "Enter the Cloudflare API token.", TOKEN);
  if (provider === "rfc2136" && !rfc2136)
    throw unprocessable("invalid_dns_settings", "Enter the DNS server.", "rfc2136.server");
  if (provider === "rfc2136" && !rfc2136?.keySecret)
    throw unprocessable(
      "invalid_dns_settings",
      "Enter the TSIG key's secret (base64, as tsig-keygen prints it).",
      KEY_SECRET,
    );
  return { provider, cloudflare, rfc2136, updatedAt: current.updatedAt, version: current.version };
}

/** Validates and saves; a secret is written only when a new one was given. */
export function saveDnsSettings(deps: EdgeDeps, input: unknown): DnsSettings {
  const current = getDnsSettings(deps);
  const next = resolveDnsSettings(input, current);
  const secretChange = (now: Secret | null | undefined, before: Secret | null | undefined) =>
    now === before ? undefined : (now ?? null);
  writeSection(
    deps,
    SECTION,
    {
      provider: next.provider,
      cloudflare: next.cloudflare && {
        proxied: next.cloudflare.proxied,
        baseUrl: next.cloudflare.baseUrl,
      },
      rfc2136: next.rfc2136 && {
        server: next.rfc2136.server,
        zone: next.rfc2136.zone,
        keyName: next.rfc2136.keyName,
        keyAlgorithm: next.rfc2136.keyAlgorithm,
        ttl: next.rfc2136.ttl,
      },
    },
    {
      [TOKEN]: secretChange(next.cloudflare?.apiToken, current.cloudflare?.apiToken),
      [KEY_SECRET]: secretChange(next.rfc2136?.keySecret, current.rfc2136?.keySecret),
    },
  );
  return getDnsSettings(deps);
}

/** The settings as the API and the pages show them: whether each secret is set, never it. */
export function dnsSettingsView(s: DnsSettings) {
  return {
    provider: s.provider,
    cloudflare: s.cloudflare && {
      proxied: s.cloudflare.proxied,
      baseUrl: s.cloudflare.baseUrl,
      apiTokenSet: s.cloudflare.apiToken !== null,
    },
    rfc2136: s.rfc2136 && {
      server: s.rfc2136.server,
      zone: s.rfc2136.zone,
      keyName: s.rfc2136.keyName,
      keyAlgorithm: s.rfc2136.keyAlgorithm,
      ttl: s.rfc2136.ttl,
      keySecretSet: s.rfc2136.keySecret !== null,
    },
    updatedAt: s.updatedAt,
  };
}
export type DnsSettingsView = ReturnType<typeof dnsSettingsView>;
