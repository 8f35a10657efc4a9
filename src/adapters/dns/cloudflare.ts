import { Cloudflare } from "cloudflare";
import type { Logger } from "../../domain/logger.ts";
import type { Secret } from "../../domain/secret.ts";
import { defaultRetry, type RetryPolicy, withRetry } from "./cloudflare-retry.ts";
import { dnsError } from "./errors.ts";
import {
  canonicalName,
  inZone,
  isManaged,
  MANAGED_TYPES,
  type ManagedType,
  sameContent,
  type WantedRecord,
  wantedRecords,
} from "./records.ts";
import type { CheckableDnsProvider } from "./types.ts";

export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";

export type CloudflareOptions = {
  apiToken: Secret;
  proxied: boolean;
  /** Another API root: a test's local fake. */
  baseUrl?: string | null;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** How long the token's zone list is reused. */
  zoneCacheMs?: number;
  logger?: Logger;
};

type Zone = { id: string; name: string };
export type CfRecord = { id: string; type: ManagedType; content: string; proxied: boolean };
export type Plan = {
  deletes: CfRecord[];
  patches: { record: CfRecord; want: WantedRecord }[];
  creates: WantedRecord[];
};

// Cloudflare's answers that mean "already as you want it"
const ALREADY_EXISTS = [81057, 81058];
const NOT_FOUND = 81044;

/**
 * What to change so a name's A/AAAA/CNAME records are exactly `want`: an equal record is
 * kept, a different one patched, a missing one created, every other one deleted.
 */
export function planChanges(have: CfRecord[], want: WantedRecord[], proxied: boolean): Plan {
  const plan: Plan = { deletes: [], patches: [], creates: [] };
  for (const type of MANAGED_TYPES) {
    const existing = have.filter((r) => r.type === type);
    const wanted = want.find((w) => w.type === type);
    if (!wanted) {
      plan.deletes.push(...existing);
      continue;
    }
    const equal = existing.find(
      (r) => r.proxied === proxied && sameContent(type, r.content, wanted.content),
    );
    const [first, ...rest] = equal ? [equal] : existing;
    if (!first) plan.creates.push(wanted);
    else if (!equal) plan.patches.push({ record: first, want: wanted });
    plan.deletes.push(...(equal ? existing.filter((r) => r !== equal) : rest));
  }
  return plan;
}

/** The Cloudflare DNS API through the official SDK; upserts are idempotent. */
export function cloudflareProvider(opts: CloudflareOptions): CheckableDnsProvider {
  const log = opts.logger?.child({ provider: "cloudflare" });
  const say = (level: "error" | "warn" | "info" | "debug") => (message: string) =>
    log?.[level](message);
  const client = new Cloudflare({
    apiToken: opts.apiToken.reveal(),
    // explicit, so CLOUDFLARE_* variables in the environment change nothing
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL: opts.baseUrl || CLOUDFLARE_API,
    maxRetries: 0,
    timeout: opts.timeoutMs ?? 15_000,
    logLevel: "warn",
    logger: { error: say("error"), warn: say("warn"), info: say("info"), debug: say("debug") },
  });
  const retry = { ...defaultRetry, ...opts.retry };
  const zoneCacheMs = opts.zoneCacheMs ?? 5 * 60_000;
  let zoneCache: { at: number; zones: Promise<Zone[]> } | null = null;

  type Page<T> = {
    getPaginatedItems(): T[];
    getNextPage(): Promise<Page<T>>;
    result_info: { page?: number; per_page?: number; total_pages?: number };
  };
  /** Every item of a paged list, following result_info instead of fetching an empty page. */
  async function collect<T>(what: string, first: () => Promise<Page<T>>): Promise<T[]> {
    let page = (await withRetry(retry, what, first)) as Page<T>;
    const items = [...page.getPaginatedItems()];
    for (;;) {
      const info = page.result_info ?? {};
      const n = page.getPaginatedItems().length;
      const more = info.total_pages
        ? (info.page ?? 1) < info.total_pages
        : n > 0 && n >= (info.per_page ?? Number.POSITIVE_INFINITY);
      if (!more) return items;
      const current = page;
      page = (await withRetry(retry, what, () => current.getNextPage())) as Page<T>;
      items.push(...page.getPaginatedItems());
    }
  }

  function zones(fresh = false): Promise<Zone[]> {
    if (!fresh && zoneCache && Date.now() - zoneCache.at < zoneCacheMs) return zoneCache.zones;
    const list = collect("list zones", () => client.zones.list({ per_page: 50 })).then((all) =>
      all.map((z) => ({ id: z.id, name: canonicalName(z.name) })),
    );
    zoneCache = { at: Date.now(), zones: list };
    list.catch(() => {
      if (zoneCache?.zones === list) zoneCache = null;
    });
    return list;
  }

  /** The zone with the longest name that contains hostname. */
  async function zoneFor(hostname: string): Promise<Zone> {
    const pick = (all: Zone[]) =>
      all.filter((z) => inZone(hostname, z.name)).sort((a, b) => b.name.length - a.name.length)[0];
    let best = pick(await zones());
    // a zone added since the list was cached: look again, at most every 30 s
    if (!best && zoneCache && Date.now() - zoneCache.at > 30_000) best = pick(await zones(true));
    if (!best) {
      throw dnsError(
        "dns_zone_not_found",
        `No Cloudflare zone that the API token can see contains ${hostname}: add the zone, or give the token access to it.`,
      );
    }
    return best;
  }

  async function records(zone: Zone, hostname: string): Promise<CfRecord[]> {
    const all = await collect(`list the DNS records of ${hostname}`, () =>
      client.dns.records.list({ zone_id: zone.id, name: { exact: hostname }, per_page: 100 }),
    );
    return all.flatMap((r) =>
      isManaged(r.type) && canonicalName(r.name) === hostname
        ? [
            {
              id: r.id,
              type: r.type,
              content: String(r.content ?? ""),
              proxied: Boolean(r.proxied),
            },
          ]
        : [],
    );
  }

  const body = (zone: Zone, hostname: string, w: WantedRecord, proxied: boolean) => ({
    zone_id: zone.id,
    type: w.type,
    name: hostname,
    content: w.content,
    ttl: 1 as const, // automatic
    proxied,
  });

  const create = (zone: Zone, hostname: string, w: WantedRecord, proxied: boolean) =>
    withRetry(
      retry,
      `create the ${w.type} record of ${hostname}`,
      () => client.dns.records.create(body(zone, hostname, w, proxied)),
      ALREADY_EXISTS,
    );

  const remove = (zone: Zone, hostname: string, r: CfRecord) =>
    withRetry(
      retry,
      `delete the ${r.type} record of ${hostname}`,
      () => client.dns.records.delete(r.id, { zone_id: zone.id }),
      [NOT_FOUND],
    );

  async function patch(
    zone: Zone,
    hostname: string,
    r: CfRecord,
    w: WantedRecord,
    proxied: boolean,
  ) {
    const patched = await withRetry(
      retry,
      `update the ${w.type} record of ${hostname}`,
      () => client.dns.records.edit(r.id, body(zone, hostname, w, proxied)),
      [NOT_FOUND],
    );
    // deleted behind our back: make it again
    if (patched === null) await create(zone, hostname, w, proxied);
  }

  return {
    kind: "cloudflare",
    async upsert(name, target, o) {
      const hostname = canonicalName(name);
      const want = wantedRecords(target);
      const proxied = o?.proxied ?? opts.proxied;
      const zone = await zoneFor(hostname);
      const plan = planChanges(await records(zone, hostname), want, proxied);
      // deletes first: Cloudflare refuses a CNAME beside an A record, and the reverse
      for (const r of plan.deletes) await remove(zone, hostname, r);
      for (const p of plan.patches) await patch(zone, hostname, p.record, p.want, proxied);
      for (const w of plan.creates) await create(zone, hostname, w, proxied);
      return { writes: plan.deletes.length + plan.patches.length + plan.creates.length };
    },
    async lookup(name) {
      const hostname = canonicalName(name);
      const found = await records(await zoneFor(hostname), hostname);
      return found.map((r) => ({ type: r.type, content: r.content }));
    },
    async remove(name) {
      const hostname = canonicalName(name);
      const zone = await zoneFor(hostname);
      const existing = await records(zone, hostname);
      for (const r of existing) await remove(zone, hostname, r);
      return { writes: existing.length };
    },
    async check() {
      const all = await zones(true);
      if (all.length === 0) {
        throw dnsError(
          "dns_no_zones",
          "The API token works but sees no zone: give it Zone:Read and DNS:Edit on your zones.",
        );
      }
      const names = all.map((z) => z.name);
      const shown = names.length > 5 ? `${names.slice(0, 5).join(", ")}…` : names.join(", ");
      return `The API token works and sees ${names.length} zone${names.length === 1 ? "" : "s"}: ${shown}.`;
    },
  };
}
