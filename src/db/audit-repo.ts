import { and, desc, eq, like, lt, type SQL } from "drizzle-orm";
import type { AuditEvent } from "../domain/auth-types.ts";
import type { Db } from "./client.ts";
import { auditEvents } from "./schema.ts";

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
  return {
    append(e: Omit<AuditEvent, "id">): void {
      db.insert(auditEvents).values(e).run();
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
