import { and, asc, eq, isNull, or } from "drizzle-orm";
import type { Channel, NotifyEvent, Rule } from "../../domain/notify/notify.ts";
import type { Db } from "../client.ts";
import { notifyChannels, notifyRules } from "../schema/index.ts";

/** Channels and their rules. */
export function createChannelsRepo(db: Db) {
  return {
    list(): Channel[] {
      return db.select().from(notifyChannels).orderBy(asc(notifyChannels.id)).all();
    },
    byId(id: number): Channel | undefined {
      return db.select().from(notifyChannels).where(eq(notifyChannels.id, id)).get();
    },
    insert(tx: Db, c: Omit<Channel, "id">): Channel {
      return tx.insert(notifyChannels).values(c).returning().get();
    },
    update(tx: Db, id: number, patch: Partial<Omit<Channel, "id" | "kind" | "createdAt">>): void {
      tx.update(notifyChannels).set(patch).where(eq(notifyChannels.id, id)).run();
    },
    delete(tx: Db, id: number): boolean {
      return tx.delete(notifyChannels).where(eq(notifyChannels.id, id)).run().changes > 0;
    },
    rules(channelId?: number): Rule[] {
      return db
        .select()
        .from(notifyRules)
        .where(channelId ? eq(notifyRules.channelId, channelId) : undefined)
        .orderBy(asc(notifyRules.id))
        .all();
    },
    /** Rules that send this event (of this service, or of every service). */
    matching(event: NotifyEvent, service: string | null): Rule[] {
      return db
        .select()
        .from(notifyRules)
        .where(
          and(
            eq(notifyRules.event, event),
            service === null
              ? isNull(notifyRules.service)
              : or(isNull(notifyRules.service), eq(notifyRules.service, service)),
          ),
        )
        .all();
    },
    insertRule(tx: Db, r: Omit<Rule, "id">): Rule {
      return tx.insert(notifyRules).values(r).returning().get();
    },
    deleteRule(tx: Db, id: number): boolean {
      return tx.delete(notifyRules).where(eq(notifyRules.id, id)).run().changes > 0;
    },
  };
}

export type ChannelsRepo = ReturnType<typeof createChannelsRepo>;
