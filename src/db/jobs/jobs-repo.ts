import { and, asc, eq, isNotNull, lte, min, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { jobs } from "../schema/index.ts";

export type Job = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;

export function createJobsRepo(db: Db) {
  const nextFireUpdate = db
    .update(jobs)
    .set({ nextFireAt: sql`${sql.placeholder("at")}` })
    .where(eq(jobs.id, sql.placeholder("id")))
    .prepare();
  return {
    list(): Job[] {
      return db.select().from(jobs).orderBy(asc(jobs.category), asc(jobs.name)).all();
    },
    byName(name: string): Job | undefined {
      return db.select().from(jobs).where(eq(jobs.name, name)).get();
    },
    byId(id: number): Job | undefined {
      return db.select().from(jobs).where(eq(jobs.id, id)).get();
    },
    insert(tx: Db, row: NewJob): Job {
      return tx.insert(jobs).values(row).returning().get();
    },
    update(tx: Db, id: number, set: Partial<NewJob>): Job | undefined {
      return tx
        .update(jobs)
        .set({ ...set, updatedAt: Date.now() })
        .where(eq(jobs.id, id))
        .returning()
        .get();
    },
    /** Inside the scheduler's transaction. */
    setNextFire(id: number, at: number | null): void {
      nextFireUpdate.run({ id, at });
    },
    delete(id: number): void {
      db.delete(jobs).where(eq(jobs.id, id)).run();
    },
    /** Scheduled jobs with a fire due at `now` (paused ones included: they record misses). */
    due(now: number): Job[] {
      return db
        .select()
        .from(jobs)
        .where(and(isNotNull(jobs.nextFireAt), lte(jobs.nextFireAt, now)))
        .orderBy(asc(jobs.nextFireAt))
        .all();
    },
    earliestFire(): number | null {
      return (
        db
          .select({ at: min(jobs.nextFireAt) })
          .from(jobs)
          .get()?.at ?? null
      );
    },
  };
}

export type JobsRepo = ReturnType<typeof createJobsRepo>;
