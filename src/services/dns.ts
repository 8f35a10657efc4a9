import { noneProvider } from "../adapters/dns/none.ts";
import type { DnsProvider, DnsTarget } from "../adapters/dns/types.ts";
import type { Deps } from "./deps.ts";

/** Where every domain's records point: the configured public addresses or CNAME target. */
export function dnsTarget(deps: Deps): DnsTarget {
  return { ipv4: deps.edge.publicIpv4, ipv6: deps.edge.publicIpv6, cname: deps.edge.cnameTarget };
}

/** The provider configured in Settings. */
export async function dnsProviderFor(_deps: Deps): Promise<DnsProvider> {
  return noneProvider();
}
