import { and, desc, eq, like, lt, type SQL, sql } from "drizzle-orm";
import type { AuditEvent } from "../../domain/auth-types.ts";
import type { Db } from "../client.ts";
import { auditEvents } from "../schema/index.ts";

export type AuditFilter = {
  actor?: string;
  action?: string;
  result?: AuditEvent["result"];
  target?: string;
  before?: number;
  limit: number;
};

/** Appends and reads the audit trail. There is deliberately no update or delete. */
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
      result: sql.placeholder("result"),
      status: sql.placeholder("status"),
      ip: sql.placeholder("ip"),
    })
    .prepare();
  return {
    append(e: Omit<AuditEvent, "id">): void {
      insert.run(e);
    },
    list(f: AuditFilter): AuditEvent[] {
      const where: SQL[] = [];
      if (f.actor) where.push(eq(auditEvents.actor, f.actor));
      if (f.action) where.push(like(auditEvents.action, `${f.action.replace(/[%_]/g, "")}%`));
      if (f.result) where.push(eq(auditEvents.result, f.result));
      if (f.target) where.push(like(auditEvents.target, `%${f.target.replace(/[%_]/g, "")}%`));
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
