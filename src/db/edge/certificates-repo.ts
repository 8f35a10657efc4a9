import { and, asc, eq } from "drizzle-orm";
import type { Domain } from "../../domain/releases/types.ts";
import type { Db } from "../client.ts";
import { domains } from "../schema/index.ts";

/** The certificate columns of `domains`; the rest of the row belongs to the domains repo. */
export function createCertificatesRepo(db: Db) {
  return {
    byId(id: number): Domain | undefined {
      return db.select().from(domains).where(eq(domains.id, id)).get();
    },
    inEnvironment(environmentId: number, hostname: string): Domain | undefined {
      return db
        .select()
        .from(domains)
        .where(and(eq(domains.environmentId, environmentId), eq(domains.hostname, hostname)))
        .get();
    },
    /** Every domain, oldest first; the scheduler filters with certificateDue. */
    all(): Domain[] {
      return db.select().from(domains).orderBy(asc(domains.id)).all();
    },
    /** Marks a request as under way (or asked for); the next attempt is now. */
    markPending(tx: Db, id: number, message: string): void {
      tx.update(domains)
        .set({ certStatus: "pending", certMessage: message, certNextAttemptAt: null })
        .where(eq(domains.id, id))
        .run();
    },
    markIssued(tx: Db, id: number, expiresAt: number): boolean {
      const r = tx
        .update(domains)
        .set({
          certStatus: "issued",
          certExpiresAt: expiresAt,
          certMessage: null,
          certFailures: 0,
          certNextAttemptAt: null,
        })
        .where(eq(domains.id, id))
        .run();
      return r.changes > 0;
    },
    /** Keeps certExpiresAt: a failed renewal leaves the old certificate in service. */
    markFailed(
      tx: Db,
      id: number,
      failure: { message: string; failures: number; nextAttemptAt: number },
    ): void {
      tx.update(domains)
        .set({
          certStatus: "error",
          certMessage: failure.message,
          certFailures: failure.failures,
          certNextAttemptAt: failure.nextAttemptAt,
        })
        .where(eq(domains.id, id))
        .run();
    },
    /** A note beside an issued certificate (for example: the vhost could not be switched). */
    setMessage(tx: Db, id: number, message: string | null): void {
      tx.update(domains).set({ certMessage: message }).where(eq(domains.id, id)).run();
    },
  };
}

export type CertificatesRepo = ReturnType<typeof createCertificatesRepo>;
