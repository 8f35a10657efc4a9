import { asc, eq, inArray, sql } from "drizzle-orm";
import type { Domain } from "../../domain/releases/types.ts";
import type { Db } from "../client.ts";
import { dnsRecords, domains } from "../schema/index.ts";

/** Custom domains of environments (the certificate columns belong to the certificates repo). */
export function createDomainsRepo(db: Db) {
  // asked on every request for a host that is not a site label (embedded serving)
  const byHostname = db
    .select()
    .from(domains)
    .where(eq(domains.hostname, sql.placeholder("hostname")))
    .prepare();
  return {
    /** Whether Berth made the DNS records of this name (and so may change or delete them). */
    ownsDns(hostname: string): boolean {
      return (
        db.select().from(dnsRecords).where(eq(dnsRecords.hostname, hostname)).get() !== undefined
      );
    },
    claimDns(tx: Db, hostname: string): void {
      tx.insert(dnsRecords).values({ hostname }).onConflictDoNothing().run();
    },
    releaseDns(tx: Db, hostname: string): void {
      tx.delete(dnsRecords).where(eq(dnsRecords.hostname, hostname)).run();
    },
    listForEnvironment(environmentId: number): Domain[] {
      return db
        .select()
        .from(domains)
        .where(eq(domains.environmentId, environmentId))
        .orderBy(asc(domains.hostname))
        .all();
    },
    listForEnvironments(environmentIds: number[]): Domain[] {
      if (environmentIds.length === 0) return [];
      return db
        .select()
        .from(domains)
        .where(inArray(domains.environmentId, environmentIds))
        .orderBy(asc(domains.hostname))
        .all();
    },
    byHostname(hostname: string): Domain | undefined {
      return byHostname.get({ hostname });
    },
    insert(
      tx: Db,
      input: {
        environmentId: number;
        hostname: string;
        wwwRedirect: boolean;
        certStatus?: Domain["certStatus"];
      },
    ): Domain {
      return tx.insert(domains).values(input).returning().get();
    },
    /** Puts a deleted row back as it was (same id), when the change it was part of failed. */
    reinsert(tx: Db, row: Domain): void {
      tx.insert(domains).values(row).run();
    },
    delete(tx: Db, id: number): void {
      tx.delete(domains).where(eq(domains.id, id)).run();
    },
    setDns(tx: Db, id: number, status: Domain["dnsStatus"], message: string | null): Domain {
      const row = tx
        .update(domains)
        .set({ dnsStatus: status, dnsMessage: message })
        .where(eq(domains.id, id))
        .returning()
        .get();
      if (!row) throw new Error(`domain ${id} vanished`);
      return row;
    },
  };
}

export type DomainsRepo = ReturnType<typeof createDomainsRepo>;
