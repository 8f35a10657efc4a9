import type { CloudflareOptions } from "../../adapters/dns/cloudflare.ts";
import { noneProvider } from "../../adapters/dns/none.ts";
import { sameContent, wantedRecords } from "../../adapters/dns/records.ts";
import { rfc2136Provider } from "../../adapters/dns/rfc2136.ts";
import type { CheckableDnsProvider, DnsProvider, DnsTarget } from "../../adapters/dns/types.ts";
import { writeTx } from "../../db/client.ts";
import { conflict, DomainError } from "../../domain/errors.ts";
import type { EdgeDeps } from "./deps.ts";
import { type DnsSettings, getDnsSettings, resolveDnsSettings } from "./dns-settings.ts";

/** Where every domain's records point: the configured public addresses or CNAME target. */
export function dnsTarget(deps: EdgeDeps): DnsTarget {
  return { ipv4: deps.edge.publicIpv4, ipv6: deps.edge.publicIpv6, cname: deps.edge.cnameTarget };
}

/** Builds the provider that settings describe; a missing secret is a clear error. */
export function buildDnsProvider(deps: EdgeDeps, s: DnsSettings): CheckableDnsProvider {
  if (s.provider === "cloudflare") {
    if (!s.cloudflare?.apiToken) throw missing("the Cloudflare API token");
    return lazyCloudflare({
      apiToken: s.cloudflare.apiToken,
      proxied: s.cloudflare.proxied,
      // configuration only (BERTH_CLOUDFLARE_API_URL): a saved token never follows a URL from a request
      baseUrl: deps.edge.cloudflareApiUrl ?? null,
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
    (provider ??= import("../../adapters/dns/cloudflare.ts").then((m) =>
      m.cloudflareProvider(opts),
    ));
  return {
    kind: "cloudflare",
    upsert: async (hostname, target, o) => (await load()).upsert(hostname, target, o),
    lookup: async (hostname) => (await load()).lookup(hostname),
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
const built = new WeakMap<EdgeDeps, { version: string; provider: CheckableDnsProvider }>();

/** The provider configured in Settings. */
export async function dnsProviderFor(deps: EdgeDeps): Promise<DnsProvider> {
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
  deps: EdgeDeps,
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

type Found = { type: string; content: string };

const describe = (found: Found[]) => found.map((r) => `${r.type} ${r.content}`).join(", ");

/** Whether a name's records are exactly the ones Berth would write. */
function pointsHere(found: Found[], target: DnsTarget): boolean {
  const want = wantedRecords(target);
  return (
    found.length === want.length &&
    want.every((w) =>
      found.some((f) => f.type === w.type && sameContent(w.type, f.content, w.content)),
    )
  );
}

/**
 * What Berth may do with a name: write it (it made the records, or there are none yet,
 * or an owner or admin takes it over), or leave it (records it did not make that already
 * point here). Records it did not make that point elsewhere are a 409 `dns_conflict`.
 */
async function ownership(
  deps: EdgeDeps,
  provider: DnsProvider,
  name: string,
  takeOver: boolean,
): Promise<"owned" | "claim" | "leave"> {
  if (deps.repos.domains.ownsDns(name)) return "owned";
  const found = await provider.lookup(name);
  if (found.length === 0 || takeOver) return "claim";
  if (pointsHere(found, dnsTarget(deps))) return "leave";
  throw conflict(
    "dns_conflict",
    `${name} already has DNS records Berth did not create (${describe(found)}). Berth changes only records it made: remove them, or have an owner or admin take them over (takeOver: true).`,
  );
}

/**
 * Refuses a domain whose names hold DNS records Berth did not make (409 dns_conflict),
 * before anything is written. A provider that cannot be asked is not a refusal: the
 * sync that follows reports it on the domain.
 */
export async function assertDnsFree(
  deps: EdgeDeps,
  domain: { hostname: string; wwwRedirect?: boolean },
  takeOver: boolean,
): Promise<void> {
  if (getDnsSettings(deps).provider === "none") return;
  for (const name of namesOf(domain.hostname, domain.wwwRedirect)) {
    try {
      await ownership(deps, await dnsProviderFor(deps), name, takeOver);
    } catch (err) {
      if (err instanceof DomainError && err.code === "dns_conflict") throw err;
    }
  }
}

/**
 * Makes a domain's records point at this server (and www.<hostname> too when the domain
 * redirects it), for the names Berth owns or may claim (see `ownership`). Never throws:
 * the result is what the domain shows as its DNS status.
 */
export async function syncDomainDns(
  deps: EdgeDeps,
  domain: { hostname: string; wwwRedirect?: boolean },
  opts: { takeOver?: boolean } = {},
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
    const done = await attempt(deps, name, "sync", async () => {
      const provider = await dnsProviderFor(deps);
      const may = await ownership(deps, provider, name, opts.takeOver === true);
      if (may === "leave") return { writes: 0 };
      // the claim is written before the records: a crash between leaves Berth the owner
      if (may === "claim") writeTx(deps.db, (tx) => deps.repos.domains.claimDns(tx, name));
      return provider.upsert(name, target);
    });
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
  deps: EdgeDeps,
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
    // records Berth did not make stay, whoever added the domain
    if (!deps.repos.domains.ownsDns(name)) continue;
    const done = await attempt(deps, name, "remove", async () =>
      (await dnsProviderFor(deps)).remove(name),
    );
    if (!done.ok) return { status: "error", message: done.message, writes };
    writeTx(deps.db, (tx) => deps.repos.domains.releaseDns(tx, name));
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
export async function checkDnsSettings(deps: EdgeDeps, input?: unknown): Promise<DnsCheckResult> {
  const saved = getDnsSettings(deps);
  const s = input === undefined ? saved : resolveDnsSettings(input, saved);
  try {
    return { ok: true, provider: s.provider, message: await buildDnsProvider(deps, s).check() };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { ok: false, provider: s.provider, message: err.message };
  }
}
