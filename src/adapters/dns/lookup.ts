import { Resolver } from "node:dns/promises";

/** What DNS answers for a name right now: its A, AAAA and CNAME records. */
export type DnsAnswer = { a: string[]; aaaa: string[]; cname: string[] };
export type DnsLookup = (hostname: string) => Promise<DnsAnswer>;

const NONE = new Set(["ENODATA", "ENOTFOUND", "ESERVFAIL", "ENONAME", "NOTFOUND", "ENOTIMP"]);

/** Asks the system's resolvers (or the servers given, "ip:port") with a short timeout. */
export function dnsLookup(servers?: string[]): DnsLookup {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers?.length) resolver.setServers(servers);
  const ask = async (work: Promise<string[]>) => {
    try {
      return await work;
    } catch (err) {
      if (NONE.has((err as { code?: string }).code ?? "")) return [];
      throw err;
    }
  };
  return async (hostname) => {
    const [a, aaaa, cname] = await Promise.all([
      ask(resolver.resolve4(hostname)),
      ask(resolver.resolve6(hostname)),
      ask(resolver.resolveCname(hostname)),
    ]);
    return { a, aaaa, cname };
  };
}
