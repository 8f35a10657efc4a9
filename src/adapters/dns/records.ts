import { dnsError } from "./errors.ts";
import type { DnsTarget } from "./types.ts";

/** The record types Berth owns on a domain's name; TXT, MX and the rest are left alone. */
export const MANAGED_TYPES = ["A", "AAAA", "CNAME"] as const;
export type ManagedType = (typeof MANAGED_TYPES)[number];

export type WantedRecord = { type: ManagedType; content: string };

export const isManaged = (type: string): type is ManagedType =>
  (MANAGED_TYPES as readonly string[]).includes(type);

/** "App.Example.com." → "app.example.com". */
export const canonicalName = (name: string) => name.trim().replace(/\.$/, "").toLowerCase();

/** Whether hostname is the zone's apex or a name below it. */
export const inZone = (hostname: string, zone: string) =>
  hostname === zone || hostname.endsWith(`.${zone}`);

/** The records a name should have: a CNAME to the target, else A and/or AAAA. */
export function wantedRecords(target: DnsTarget): WantedRecord[] {
  if (target.cname) return [{ type: "CNAME", content: canonicalName(target.cname) }];
  const wanted: WantedRecord[] = [];
  if (target.ipv4) wanted.push({ type: "A", content: target.ipv4 });
  if (target.ipv6) wanted.push({ type: "AAAA", content: target.ipv6 });
  if (wanted.length === 0) {
    throw dnsError(
      "dns_no_target",
      "There is nothing to point the name at: set BERTH_PUBLIC_IPV4 (and BERTH_PUBLIC_IPV6) or BERTH_DNS_CNAME_TARGET.",
    );
  }
  return wanted;
}

/** Compares record contents the way DNS does: IPv6 in any spelling, names in any case. */
export function sameContent(type: string, a: string, b: string): boolean {
  if (type === "AAAA") return canonicalIpv6(a) === canonicalIpv6(b);
  if (type === "CNAME") return canonicalName(a) === canonicalName(b);
  return a.trim() === b.trim();
}

function canonicalIpv6(address: string): string {
  try {
    return new URL(`http://[${address.trim()}]/`).hostname;
  } catch {
    return address.trim().toLowerCase();
  }
}
