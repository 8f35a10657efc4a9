import type { DnsAnswer, DnsLookup } from "../../adapters/dns/lookup.ts";
import type { DnsTarget } from "../../adapters/dns/types.ts";

/** One record to create at the DNS provider, as its form asks for it. */
export type HandRecord = { type: "A" | "AAAA" | "CNAME"; name: string; value: string };

/** The records that point a domain (and its www name) at this Berth. */
export function handRecords(target: DnsTarget, hostname: string, www: boolean): HandRecord[] {
  const names = www ? [hostname, `www.${hostname}`] : [hostname];
  return names.flatMap((name): HandRecord[] => {
    if (target.cname) return [{ type: "CNAME", name, value: target.cname }];
    const out: HandRecord[] = [];
    if (target.ipv4) out.push({ type: "A", name, value: target.ipv4 });
    if (target.ipv6) out.push({ type: "AAAA", name, value: target.ipv6 });
    return out;
  });
}

const bare = (s: string) => s.toLowerCase().replace(/\.$/, "");

function describe(found: DnsAnswer): string {
  const parts = [
    ...found.cname.map((v) => `CNAME ${bare(v)}`),
    ...found.a.map((v) => `A ${v}`),
    ...found.aaaa.map((v) => `AAAA ${v}`),
  ];
  return parts.length ? parts.join(", ") : "no A, AAAA or CNAME record";
}

export type HandCheck = {
  ok: boolean;
  records: { record: HandRecord; found: string; ok: boolean }[];
};

/** Resolves each record's name and says whether DNS already answers what it should. */
export async function checkHandRecords(
  lookup: DnsLookup,
  records: HandRecord[],
): Promise<HandCheck> {
  const answers = new Map<string, Promise<DnsAnswer>>();
  const results = await Promise.all(
    records.map(async (record) => {
      let answer = answers.get(record.name);
      if (!answer) {
        answer = lookup(record.name);
        answers.set(record.name, answer);
      }
      try {
        const found = await answer;
        const values =
          record.type === "CNAME" ? found.cname : record.type === "A" ? found.a : found.aaaa;
        const ok = values.some((v) => bare(v) === bare(record.value));
        return { record, found: describe(found), ok };
      } catch (err) {
        return { record, found: `the lookup failed (${(err as Error).message})`, ok: false };
      }
    }),
  );
  return { ok: results.every((r) => r.ok), records: results };
}
