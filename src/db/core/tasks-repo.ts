import { and, asc, count, eq, inArray, isNull, lt, lte, or } from "drizzle-orm";
import type { Db } from "../client.ts";
import { writeTx } from "../client.ts";
import { tasks } from "../schema/index.ts";

export type Task = typeof tasks.$inferSelect;
export type TaskKind = Task["kind"];
export type TaskEnd = "done" | "failed" | "cancelled" | "interrupted";

/** The durable queue's table. Claiming is one IMMEDIATE transaction: no two workers win. */
export function createTasksRepo(db: Db) {
  return {
    enqueue(tx: Db, kind: TaskKind, subjectId: string, now = Date.now(), runAfter?: number): Task {
      return tx
        .insert(tasks)
        .values({ kind, subjectId, status: "queued", createdAt: now, runAfter: runAfter ?? null })
        .returning()
        .get();
    },
    /** The oldest queued task, now running under `owner`'s lease; undefined when none. */
    claim(
      owner: string,
      leaseMs: number,
      now = Date.now(),
      kinds: TaskKind[] = ["build"],
    ): Task | undefined {
      return writeTx(db, (tx) => {
        const next = tx
          .select()
          .from(tasks)
          .where(
            and(
              eq(tasks.status, "queued"),
              // a retry waits out its backoff
              or(isNull(tasks.runAfter), lte(tasks.runAfter, now)),
              inArray(tasks.kind, kinds),
            ),
          )
          .orderBy(asc(tasks.id))
          .get();
        if (!next) return undefined;
        return tx
          .update(tasks)
          .set({
            status: "running",
            leaseOwner: owner,
            leaseExpiresAt: now + leaseMs,
            attempts: next.attempts + 1,
            startedAt: now,
          })
          .where(eq(tasks.id, next.id))
          .returning()
          .get();
      });
    },
    /** Extends a lease; false when the task is no longer this owner's. */
    heartbeat(id: number, owner: string, leaseMs: number, now = Date.now()): boolean {
      const res = db
        .update(tasks)
        .set({ leaseExpiresAt: now + leaseMs })
        .where(and(eq(tasks.id, id), eq(tasks.leaseOwner, owner), eq(tasks.status, "running")))
        .run();
      return res.changes === 1;
    },
    finish(id: number, status: TaskEnd, now = Date.now()): void {
      db.update(tasks)
        .set({ status, finishedAt: now, leaseOwner: null, leaseExpiresAt: null })
        .where(eq(tasks.id, id))
        .run();
    },
    /** Cancels a task that has not started; false when it already runs or ended. */
    cancelQueued(kind: TaskKind, subjectId: string, now = Date.now()): boolean {
      const res = db
        .update(tasks)
        .set({ status: "cancelled", finishedAt: now })
        .where(
          and(eq(tasks.kind, kind), eq(tasks.subjectId, subjectId), eq(tasks.status, "queued")),
        )
        .run();
      return res.changes > 0;
    },
    /** Running tasks whose lease ran out (their worker died or stopped). */
    expired(now = Date.now()): Task[] {
      return db
        .select()
        .from(tasks)
        .where(and(eq(tasks.status, "running"), lte(tasks.leaseExpiresAt, now)))
        .all();
    },
    running(kind: TaskKind = "build"): Task[] {
      return db
        .select()
        .from(tasks)
        .where(and(eq(tasks.status, "running"), eq(tasks.kind, kind)))
        .all();
    },
    /** Queued tasks by kind, for the queue-depth gauge. */
    depth(): { kind: TaskKind; n: number }[] {
      return db
        .select({ kind: tasks.kind, n: count() })
        .from(tasks)
        .where(eq(tasks.status, "queued"))
        .groupBy(tasks.kind)
        .all();
    },
    bySubject(kind: TaskKind, subjectId: string): Task | undefined {
      return db
        .select()
        .from(tasks)
        .where(and(eq(tasks.kind, kind), eq(tasks.subjectId, subjectId)))
        .get();
    },
    /** 1 for the next task to start, 2 behind it, ...; null when it is not queued. */
    position(id: number): number | null {
      const task = db.select().from(tasks).where(eq(tasks.id, id)).get();
      if (task?.status !== "queued") return null;
      const ahead = db
        .select({ n: count() })
        .from(tasks)
        .where(and(eq(tasks.status, "queued"), eq(tasks.kind, task.kind), lt(tasks.id, id)))
        .get();
      return (ahead?.n ?? 0) + 1;
    },
  };
}

export type TasksRepo = ReturnType<typeof createTasksRepo>;
