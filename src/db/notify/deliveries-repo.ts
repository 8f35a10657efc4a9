import { desc, eq } from "drizzle-orm";
import type { Delivery, DeliveryStatus } from "../../domain/notify/notify.ts";
import type { Db } from "../client.ts";
import { notifyDeliveries } from "../schema/index.ts";

/** Deliveries: one row per notification per channel, updated by each attempt. */
export function createDeliveriesRepo(db: Db) {
  return {
    insert(tx: Db, d: Omit<Delivery, "id" | "attempts" | "lastError" | "sentAt">): Delivery {
      return tx.insert(notifyDeliveries).values(d).returning().get() as Delivery;
    },
    byId(id: number): Delivery | undefined {
      return db.select().from(notifyDeliveries).where(eq(notifyDeliveries.id, id)).get() as
        | Delivery
        | undefined;
    },
    record(
      tx: Db,
      id: number,
      patch: {
        status: DeliveryStatus;
        attempts: number;
        lastError: string | null;
        sentAt?: number;
      },
    ): void {
      tx.update(notifyDeliveries).set(patch).where(eq(notifyDeliveries.id, id)).run();
    },
    /** Unfinished deliveries with no queued task (their attempt was cut off by a stop). */
    orphaned(): number[] {
      return db.$client
        .prepare(
          `select d.id from notify_deliveries d where d.status in ('queued', 'retrying')
             and not exists (select 1 from tasks t where t.kind = 'notify'
               and t.subject_id = cast(d.id as text) and t.status in ('queued', 'running'))`,
        )
        .pluck()
        .all() as number[];
    },
    forChannel(channelId: number, limit: number): Delivery[] {
      return db
        .select()
        .from(notifyDeliveries)
        .where(eq(notifyDeliveries.channelId, channelId))
        .orderBy(desc(notifyDeliveries.id))
        .limit(limit)
        .all() as Delivery[];
    },
  };
}

export type DeliveriesRepo = ReturnType<typeof createDeliveriesRepo>;
