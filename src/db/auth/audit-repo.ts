import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { AuditEvent } from "../../domain/auth/auth-types.ts";
import type { Db } from "../client.ts";
import { auditEvents } from "../schema/index.ts";

/** A LIKE pattern that matches `text` literally: % and _ in it are not wildcards. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
const likeText = (column: SQLiteColumn, pattern: string) =>
  sql`${column} LIKE ${pattern} ESCAPE '\\'`;

export type AuditFilter = {
  actor?: string;
  action?: string;
  result?: AuditEvent["result"];
  target?: string;
  before?: number;
  limit: number;
};

/** Appends and reads the audit trail. No update; rows leave only by age (prune). */
export function createAuditRepo(db: Db) {
  // every state-changing request appends one row: prepared once
  const insert = db
    .insert(auditEvents)
    .values({
      at: sql.placeholder("at"),
      actorKind: sql.placeholder("actorKind"),
      actorId: sql.placeholder("actorId"),
      actor: sql.placeholder("actor"),
      action: sql.placeholder("action"),
      target: sql.placeholder("target"),
      request: sql.placeholder("request"),
      result: sql.placeholder("result"),
      status: sql.placeholder("status"),
      ip: sql.placeholder("ip"),
    })
    .prepare();
  return {
    append(e: Omit<AuditEvent, "id">): void {
      insert.run(e);
    },
    /** Deletes the events older than `before` (ms): the retention setting, nothing else. */
    prune(before: number): number {
      return db.delete(auditEvents).where(lt(auditEvents.at, before)).run().changes;
    },
    list(f: AuditFilter): AuditEvent[] {
      const where: SQL[] = [];
      if (f.actor) where.push(eq(auditEvents.actor, f.actor));
      if (f.action) where.push(likeText(auditEvents.action, `${escapeLike(f.action)}%`));
      if (f.result) where.push(eq(auditEvents.result, f.result));
      if (f.target) where.push(likeText(auditEvents.target, `%${escapeLike(f.target)}%`));
      if (f.before) where.push(lt(auditEvents.id, f.before));
      return db
        .select()
        .from(auditEvents)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(auditEvents.id))
        .limit(f.limit)
        .all();
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
