import type { Answer, Packet } from "dns-packet";
import { parseServer, type SignedAnswer, showServer, signedExchange } from "./dns-client.ts";
import { dnsError } from "./errors.ts";
import {
  canonicalName,
  inZone,
  MANAGED_TYPES,
  type ManagedType,
  sameContent,
  type WantedRecord,
  wantedRecords,
} from "./records.ts";
import type { TsigKey } from "./tsig.ts";
import type { CheckableDnsProvider } from "./types.ts";

export type Rfc2136Options = {
  /** host or host:port of the zone's primary server. */
  server: string;
  /** The zone to update; null finds it by SOA queries up the name. */
  zone: string | null;
  key: TsigKey;
  ttl: number;
  /** Per attempt; UDP is resent once on silence by default. */
  timeoutMs?: number;
  attempts?: number;
};

type Current = { type: ManagedType; content: string; ttl: number };

const OPCODE_UPDATE = 5 << 11; // dns-packet ignores `opcode` when encoding
const TYPE_CODES: Record<ManagedType, number> = { A: 1, AAAA: 28, CNAME: 5 };

/** "Delete an RRset" (RFC 2136 §2.5.2): class ANY, TTL 0, empty data. */
const deleteRrset = (name: string, type: ManagedType) =>
  // dns-packet encodes an UNKNOWN_<n> type's Buffer data as is: here, zero bytes
  ({
    name,
    type: `UNKNOWN_${TYPE_CODES[type]}`,
    class: "ANY",
    ttl: 0,
    data: Buffer.alloc(0),
  }) as unknown as Answer;

/** Dynamic DNS update with TSIG (RFC 2136 + RFC 8945): BIND, Knot, PowerDNS. */
export function rfc2136Provider(opts: Rfc2136Options): CheckableDnsProvider {
  const server = parseServer(opts.server);
  const where = showServer(server);
  const key = { ...opts.key, name: canonicalName(opts.key.name) };
  const exchange = { timeoutMs: opts.timeoutMs ?? 2000, attempts: opts.attempts ?? 2 };
  const zones = new Map<string, Promise<string>>();

  const ask = (packet: Packet, what: "update" | "query") =>
    signedExchange(server, packet, key, { what, ...exchange });
  // reads made for an update report a refusal as the update's: that is what the user asked for
  const query = (name: string, type: "SOA" | ManagedType, what: "update" | "query" = "update") =>
    ask({ type: "query", flags: 0, questions: [{ name, type, class: "IN" }] }, what);

  async function discoverZone(hostname: string): Promise<string> {
    const labels = hostname.split(".");
    for (let i = 0; i < labels.length - 1; i++) {
      const name = labels.slice(i).join(".");
      const { rcode, packet } = await query(name, "SOA");
      // REFUSED: not a zone this server serves; try the parent
      if (rcode !== "NOERROR" && rcode !== "NXDOMAIN") continue;
      const soa = [...(packet.answers ?? []), ...(packet.authorities ?? [])].find(
        (r) => r.type === "SOA",
      );
      if (soa && inZone(hostname, canonicalName(soa.name))) return canonicalName(soa.name);
    }
    throw dnsError(
      "dns_zone_not_found",
      `The DNS server ${where} serves no zone that contains ${hostname}: check the server, or set the zone in Settings.`,
    );
  }

  function zoneFor(hostname: string): Promise<string> {
    if (opts.zone) {
      const zone = canonicalName(opts.zone);
      if (!inZone(hostname, zone))
        return Promise.reject(
          dnsError("dns_zone_mismatch", `${hostname} is not in the configured zone ${zone}.`),
        );
      return Promise.resolve(zone);
    }
    let found = zones.get(hostname);
    if (!found) {
      found = discoverZone(hostname);
      found.catch(() => zones.delete(hostname));
      zones.set(hostname, found);
    }
    return found;
  }

  async function current(hostname: string): Promise<Current[]> {
    const answers = await Promise.all(MANAGED_TYPES.map((type) => query(hostname, type)));
    return answers.flatMap(({ rcode, packet }: SignedAnswer, i) => {
      const type = MANAGED_TYPES[i] as ManagedType;
      if (rcode !== "NOERROR" && rcode !== "NXDOMAIN") {
        throw dnsError(
          "dns_query_failed",
          `The DNS server ${where} answered ${rcode} when asked for the ${type} records of ${hostname}.`,
        );
      }
      return (packet.answers ?? [])
        .filter((r) => r.type === type && canonicalName(r.name) === hostname)
        .map((r) => {
          const rr = r as { data: unknown; ttl?: number };
          return { type, content: String(rr.data), ttl: rr.ttl ?? 0 };
        });
    });
  }

  const matches = (have: Current[], want: WantedRecord[]) =>
    have.length === want.length &&
    want.every((w) =>
      have.some(
        (h) => h.type === w.type && h.ttl === opts.ttl && sameContent(w.type, h.content, w.content),
      ),
    );

  /** One UPDATE message: applied whole or not at all by the server. */
  async function update(zone: string, hostname: string, adds: WantedRecord[]): Promise<void> {
    const { rcode } = await ask(
      {
        type: "query",
        flags: OPCODE_UPDATE,
        questions: [{ name: zone, type: "SOA", class: "IN" }],
        authorities: [
          // delete every managed RRset first, so A ↔ CNAME switches never collide
          ...MANAGED_TYPES.map((type) => deleteRrset(hostname, type)),
          ...adds.map(
            (w) =>
              ({
                name: hostname,
                type: w.type,
                class: "IN",
                ttl: opts.ttl,
                data: w.content,
              }) as Answer,
          ),
        ],
      },
      "update",
    );
    if (rcode !== "NOERROR") throw updateError(rcode, zone, hostname, key.name);
  }

  return {
    kind: "rfc2136",
    async upsert(name, target) {
      const hostname = canonicalName(name);
      const want = wantedRecords(target);
      const zone = await zoneFor(hostname);
      if (matches(await current(hostname), want)) return { writes: 0 };
      await update(zone, hostname, want);
      // a server answers NOERROR yet skips a CNAME add when the name holds other data
      if (!matches(await current(hostname), want)) {
        throw dnsError(
          "dns_update_ignored",
          `The DNS server accepted the update of ${hostname} but did not apply it${want[0]?.type === "CNAME" ? ": a CNAME cannot share its name with other records (TXT, MX...)" : ""}.`,
        );
      }
      return { writes: 1 };
    },
    async lookup(name) {
      const found = await current(canonicalName(name));
      return found.map((r) => ({ type: r.type, content: r.content }));
    },
    async remove(name) {
      const hostname = canonicalName(name);
      const zone = await zoneFor(hostname);
      if ((await current(hostname)).length === 0) return { writes: 0 };
      await update(zone, hostname, []);
      return { writes: 1 };
    },
    async check() {
      if (!opts.zone) {
        // any signed answer, even REFUSED for the root, proves the server shares the key
        await query(".", "SOA", "query");
        return `Reached ${where}, and it accepted TSIG key "${key.name}". Each domain's zone is found by SOA queries.`;
      }
      const zone = canonicalName(opts.zone);
      const { rcode, packet } = await query(zone, "SOA", "query");
      const soa = (packet.answers ?? []).find(
        (r) => r.type === "SOA" && canonicalName(r.name) === zone,
      );
      if (rcode !== "NOERROR" || !soa || !packet.flag_aa) {
        throw dnsError(
          "dns_zone_not_served",
          `The DNS server ${where} is not authoritative for ${zone} (${rcode}): is this the zone's primary server?`,
        );
      }
      const serial = (soa as { data: { serial?: number } }).data.serial;
      return `Reached ${where}: it serves ${zone} (serial ${serial}) and accepted TSIG key "${key.name}".`;
    },
  };
}

function updateError(rcode: string, zone: string, hostname: string, keyName: string) {
  const why: Record<string, string> = {
    REFUSED: `does zone ${zone} allow updates by key "${keyName}" (allow-update or update-policy)?`,
    NOTAUTH: `it is not authoritative for ${zone}: send updates to the zone's primary server.`,
    NOTZONE: `${hostname} is not in zone ${zone}.`,
    NOTIMP: "it does not support dynamic updates.",
    SERVFAIL: "it failed to apply the update; see its log.",
  };
  return dnsError(
    "dns_update_refused",
    `The DNS server refused the update (${rcode}): ${why[rcode] ?? "see its log."}`,
  );
}
