import type { CloudflareOptions } from "../adapters/dns/cloudflare.ts";
import { noneProvider } from "../adapters/dns/none.ts";
import { rfc2136Provider } from "../adapters/dns/rfc2136.ts";
import type { CheckableDnsProvider, DnsProvider, DnsTarget } from "../adapters/dns/types.ts";
import { DomainError } from "../domain/errors.ts";
import type { Deps } from "./deps.ts";
import { type DnsSettings, getDnsSettings, resolveDnsSettings } from "./dns-settings.ts";

/** Where every domain's records point: the configured public addresses or CNAME target. */
export function dnsTarget(deps: Deps): DnsTarget {
  return { ipv4: deps.edge.publicIpv4, ipv6: deps.edge.publicIpv6, cname: deps.edge.cnameTarget };
}

/** Builds the provider that settings describe; a missing secret is a clear error. */
export function buildDnsProvider(deps: Deps, s: DnsSettings): CheckableDnsProvider {
  if (s.provider === "cloudflare") {
    if (!s.cloudflare?.apiToken) throw missing("the Cloudflare API token");
    return lazyCloudflare({
      apiToken: s.cloudflare.apiToken,
      proxied: s.cloudflare.proxied,
      baseUrl: s.cloudflare.baseUrl,
      logger: deps.logger,
    });
  }
  if (s.provider === "rfc2136") {
    if (!s.rfc2136?.keySecret) throw missing("the TSIG key's secret");
    return rfc2136Provider({
      server: s.rfc2136.server,
      zone: s.rfc2136.zone,
      key: {
        name: s.rfc2136.keyName,
        algorithm: s.rfc2136.keyAlgorithm,
        secret: s.rfc2136.keySecret,
      },
      ttl: s.rfc2136.ttl,
    });
  }
  return noneProvider();
}

/**
 * The Cloudflare provider, its SDK (~15 MB of RSS) loaded on first use: most
 * installations never configure it, and one that does pays only when it syncs.
 */
function lazyCloudflare(opts: CloudflareOptions): CheckableDnsProvider {
  let provider: Promise<CheckableDnsProvider> | undefined;
  const load = () =>
    (provider ??= import("../adapters/dns/cloudflare.ts").then((m) => m.cloudflareProvider(opts)));
  return {
    kind: "cloudflare",
    upsert: async (hostname, target, o) => (await load()).upsert(hostname, target, o),
    remove: async (hostname) => (await load()).remove(hostname),
    check: async () => (await load()).check(),
  };
}

const missing = (what: string) =>
  new DomainError(
    "unprocessable",
    "dns_not_configured",
    `No usable DNS settings: ${what} is not saved (or cannot be decrypted). Enter it in Settings.`,
  );

// one provider per saved version of the settings, so caches (zones) live between syncs
const built = new WeakMap<Deps, { version: string; provider: CheckableDnsProvider }>();

/** The provider configured in Settings. */
export async function dnsProviderFor(deps: Deps): Promise<DnsProvider> {
  const s = getDnsSettings(deps);
  const cached = built.get(deps);
  if (cached && cached.version === s.version) return cached.provider;
  const provider = buildDnsProvider(deps, s);
  built.set(deps, { version: s.version, provider });
  return provider;
}

export type DnsSyncResult = { status: "ok" | "error" | "none"; message: string; writes: number };

const pointsAt = (t: DnsTarget) =>
  t.cname
    ? `CNAME ${t.cname}`
    : [t.ipv4 && `A ${t.ipv4}`, t.ipv6 && `AAAA ${t.ipv6}`].filter(Boolean).join(", ");

const namesOf = (hostname: string, wwwRedirect?: boolean) =>
  wwwRedirect ? [hostname, `www.${hostname}`] : [hostname];

async function attempt(
  deps: Deps,
  hostname: string,
  action: "sync" | "remove",
  work: () => Promise<{ writes: number }>,
): Promise<{ ok: true; writes: number } | { ok: false; message: string }> {
  try {
    return { ok: true, ...(await work()) };
  } catch (err) {
    const known = err instanceof DomainError;
    deps.logger.warn(
      { hostname, action, err: known ? { code: err.code, message: err.message } : err },
      "DNS change failed",
    );
    return {
      ok: false,
      message: known ? err.message : `The DNS provider failed: ${(err as Error).message}`,
    };
  }
}

/**
 * Makes a domain's records point at this server (and www.<hostname> too when the domain
 * redirects it). Never throws: the result is what the domain shows as its DNS status.
 */
export async function syncDomainDns(
  deps: Deps,
  domain: { hostname: string; wwwRedirect?: boolean },
): Promise<DnsSyncResult> {
  const target = dnsTarget(deps);
  const names = namesOf(domain.hostname, domain.wwwRedirect);
  const settings = getDnsSettings(deps);
  if (settings.provider === "none") {
    const where = pointsAt(target);
    return {
      status: "none",
      message: where
        ? `DNS is managed by hand: point ${names.join(" and ")} at ${where}.`
        : `DNS is managed by hand: point ${names.join(" and ")} at this server.`,
      writes: 0,
    };
  }
  if (!target.cname && !target.ipv4 && !target.ipv6) {
    return {
      status: "error",
      message: `Berth does not know where ${domain.hostname} should point: set BERTH_PUBLIC_IPV4 (and BERTH_PUBLIC_IPV6) or BERTH_DNS_CNAME_TARGET, then sync again.`,
      writes: 0,
    };
  }
  let writes = 0;
  for (const name of names) {
    const done = await attempt(deps, name, "sync", async () =>
      (await dnsProviderFor(deps)).upsert(name, target),
    );
    if (!done.ok) return { status: "error", message: done.message, writes };
    writes += done.writes;
  }
  deps.logger.info({ hostnames: names, provider: settings.provider, writes }, "DNS synced");
  return {
    status: "ok",
    message: `${names.join(" and ")} → ${pointsAt(target)}${writes === 0 ? " (already up to date)" : ""}.`,
    writes,
  };
}

/** Removes the records syncDomainDns made. Never throws. */
export async function removeDomainDns(
  deps: Deps,
  hostname: string,
  opts: { wwwRedirect?: boolean } = {},
): Promise<DnsSyncResult> {
  const settings = getDnsSettings(deps);
  const names = namesOf(hostname, opts.wwwRedirect);
  if (settings.provider === "none") {
    return {
      status: "none",
      message: `DNS is managed by hand: remove the records of ${names.join(" and ")} yourself.`,
      writes: 0,
    };
  }
  let writes = 0;
  for (const name of names) {
    const done = await attempt(deps, name, "remove", async () =>
      (await dnsProviderFor(deps)).remove(name),
    );
    if (!done.ok) return { status: "error", message: done.message, writes };
    writes += done.writes;
  }
  deps.logger.info(
    { hostnames: names, provider: settings.provider, writes },
    "DNS records removed",
  );
  return {
    status: "ok",
    message: writes
      ? `Removed the records of ${names.join(" and ")}.`
      : "There were no records to remove.",
    writes,
  };
}

export type DnsCheckResult = { ok: boolean; provider: DnsSettings["provider"]; message: string };

/**
 * Verifies credentials without changing records: the saved settings, or unsaved input
 * merged over them (empty secrets keep the saved ones). Bad input throws a 422.
 */
export async function checkDnsSettings(deps: Deps, input?: unknown): Promise<DnsCheckResult> {
  const saved = getDnsSettings(deps);
  const s = input === undefined ? saved : resolveDnsSettings(input, saved);
  try {
    return { ok: true, provider: s.provider, message: await buildDnsProvider(deps, s).check() };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { ok: false, provider: s.provider, message: err.message };
  }
}
