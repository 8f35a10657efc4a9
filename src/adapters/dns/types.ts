/** Where a domain's records point: the server's addresses, or a CNAME target. */
export type DnsTarget = { ipv4: string | null; ipv6: string | null; cname: string | null };

/** One interface for every DNS provider (Cloudflare, RFC 2136, none). */
export interface DnsProvider {
  readonly kind: "cloudflare" | "rfc2136" | "none";
  /** Makes hostname's A/AAAA (or CNAME) records match target; idempotent. */
  upsert(
    hostname: string,
    target: DnsTarget,
    opts?: { proxied?: boolean },
  ): Promise<{ writes: number }>;
  /** The A/AAAA/CNAME records hostname has now, whoever made them. */
  lookup(hostname: string): Promise<{ type: string; content: string }[]>;
  /** Removes hostname's A/AAAA/CNAME records; idempotent. */
  remove(hostname: string): Promise<{ writes: number }>;
}

/** A provider that can also verify its credentials without changing anything. */
export type CheckableDnsProvider = DnsProvider & {
  /** Resolves to a sentence saying what was verified; rejects with a DomainError. */
  check(): Promise<string>;
};
