import { eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { reportKeys } from "../schema/reports.ts";

export function createReportKeysRepo(db: Db) {
  // every ingested event looks its key up: prepared once
  const byKey = db
    .select({ serviceId: reportKeys.serviceId })
    .from(reportKeys)
    .where(eq(reportKeys.publicKey, sql.placeholder("key")))
    .prepare();
  return {
    serviceOfKey(key: string): number | undefined {
      return byKey.get({ key })?.serviceId;
    },
    keyOf(serviceId: number): string | undefined {
      return db.select().from(reportKeys).where(eq(reportKeys.serviceId, serviceId)).get()
        ?.publicKey;
    },
    /** Sets (or replaces, for a rotation) the service's key. */
    put(serviceId: number, publicKey: string): void {
      db.insert(reportKeys)
        .values({ serviceId, publicKey })
        .onConflictDoUpdate({ target: reportKeys.serviceId, set: { publicKey } })
        .run();
    },
  };
}

export type ReportKeysRepo = ReturnType<typeof createReportKeysRepo>;
