import { and, asc, desc, eq, gte, inArray, lt, lte, notInArray, type SQL, sql } from "drizzle-orm";
import { RUN_TERMINAL, type RunStatus } from "../../domain/jobs/jobs.ts";
import type { Db } from "../client.ts";
import { jobRuns, jobs } from "../schema/index.ts";

export type Run = typeof jobRuns.$inferSelect;
export type NewRun = typeof jobRuns.$inferInsert;

export type RunFilter = {
  status?: RunStatus[];
  jobId?: number;
  category?: string;
  tag?: string;
  who?: string;
  from?: number;
  to?: number;
  /** FTS5 query over stored output. */
  q?: string;
  before?: string;
  limit: number;
};

const TERMINAL = [...RUN_TERMINAL];
const ACTIVE: RunStatus[] = ["running", "paused"];

/** One cron fire: a queued run (and its task, unless it waits for its turn). */
export type Fired = {
  id: string;
  jobId: number;
  templateVersionId: number;
  args: Record<string, string>;
  secretNames: string[];
  scheduledFor: number;
  createdAt: number;
  withTask: boolean;
};

export function createRunsRepo(db: Db) {
  // the scheduler's hot path: 1,000 fires at once, each two inserts, statements kept
  let fireStatements: {
    run: import("better-sqlite3").Statement;
    task: import("better-sqlite3").Statement;
  } | null = null;
  const statements = () => {
    fireStatements ??= {
      run: db.$client.prepare(
        `insert into job_runs (id, job_id, template_version_id, status, trigger, triggered_by, attempt,
           args, secret_names, files, scheduled_for, created_at, paused_ms, cancel_requested, log_bytes, log_dropped)
         values (?, ?, ?, 'queued', 'schedule', 'schedule', 1, ?, ?, '[]', ?, ?, 0, 0, 0, 0)`,
      ),
      task: db.$client.prepare(
        "insert into tasks (kind, subject_id, status, attempts, created_at) values ('job', ?, 'queued', 0, ?)",
      ),
    };
    return fireStatements;
  };
  const byId = (id: string): Run | undefined =>
    db.select().from(jobRuns).where(eq(jobRuns.id, id)).get();
  return {
    byId,
    /** Inserts fired runs; call inside a write transaction. */
    insertFired(f: Fired): void {
      const st = statements();
      st.run.run(
        f.id,
        f.jobId,
        f.templateVersionId,
        JSON.stringify(f.args),
        JSON.stringify(f.secretNames),
        f.scheduledFor,
        f.createdAt,
      );
      if (f.withTask) st.task.run(f.id, f.createdAt);
    },
    insert(tx: Db, row: NewRun): Run {
      return tx.insert(jobRuns).values(row).returning().get();
    },
    update(id: string, set: Partial<NewRun>, tx: Db = db): Run | undefined {
      return tx.update(jobRuns).set(set).where(eq(jobRuns.id, id)).returning().get();
    },
    /** Moves a run on only from one of `from`; undefined when it was elsewhere. */
    transition(id: string, from: RunStatus[], set: Partial<NewRun>, tx: Db = db): Run | undefined {
      return tx
        .update(jobRuns)
        .set(set)
        .where(and(eq(jobRuns.id, id), inArray(jobRuns.status, from)))
        .returning()
        .get();
    },
    inStatus(status: RunStatus[]): Run[] {
      return db.select().from(jobRuns).where(inArray(jobRuns.status, status)).all();
    },
    active(jobId: number): Run[] {
      return db
        .select()
        .from(jobRuns)
        .where(and(eq(jobRuns.jobId, jobId), inArray(jobRuns.status, ACTIVE)))
        .all();
    },
    /** The oldest queued run of a job, for a job that queues its runs. */
    nextQueued(jobId: number): Run | undefined {
      return db
        .select()
        .from(jobRuns)
        .where(and(eq(jobRuns.jobId, jobId), eq(jobRuns.status, "queued")))
        .orderBy(asc(jobRuns.id))
        .get();
    },
    /** Delayed runs whose time has come. */
    dueScheduled(now: number): Run[] {
      return db
        .select()
        .from(jobRuns)
        .where(and(eq(jobRuns.status, "scheduled"), lte(jobRuns.scheduledFor, now)))
        .orderBy(asc(jobRuns.scheduledFor))
        .all();
    },
    earliestScheduled(): number | null {
      return (
        db
          .select({ at: sql<number | null>`min(${jobRuns.scheduledFor})` })
          .from(jobRuns)
          .where(eq(jobRuns.status, "scheduled"))
          .get()?.at ?? null
      );
    },
    last(jobId: number): Run | undefined {
      return db
        .select()
        .from(jobRuns)
        .where(and(eq(jobRuns.jobId, jobId), inArray(jobRuns.status, TERMINAL)))
        .orderBy(desc(jobRuns.id))
        .get();
    },
    list(f: RunFilter): Run[] {
      const where: SQL[] = [];
      if (f.status?.length) where.push(inArray(jobRuns.status, f.status));
      if (f.jobId !== undefined) where.push(eq(jobRuns.jobId, f.jobId));
      if (f.who) where.push(eq(jobRuns.triggeredBy, f.who));
      if (f.from !== undefined) where.push(gte(jobRuns.createdAt, f.from));
      if (f.to !== undefined) where.push(lte(jobRuns.createdAt, f.to));
      if (f.before) where.push(lt(jobRuns.id, f.before));
      if (f.category !== undefined || f.tag !== undefined) {
        const conds: SQL[] = [];
        if (f.category !== undefined) conds.push(eq(jobs.category, f.category));
        if (f.tag !== undefined)
          conds.push(sql`exists (select 1 from json_each(${jobs.tags}) where value = ${f.tag})`);
        const ids = db
          .select({ id: jobs.id })
          .from(jobs)
          .where(and(...conds));
        where.push(inArray(jobRuns.jobId, ids));
      }
      if (f.q) {
        where.push(
          sql`${jobRuns.id} in (select run_id from job_run_output where job_run_output match ${f.q})`,
        );
      }
      return db
        .select()
        .from(jobRuns)
        .where(and(...where))
        .orderBy(desc(jobRuns.id))
        .limit(f.limit)
        .all();
    },
    /** Per category, how many runs ended in each outcome. */
    countsByCategory(): { category: string; status: string; n: number }[] {
      return db
        .select({ category: jobs.category, status: jobRuns.status, n: sql<number>`count(*)` })
        .from(jobRuns)
        .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
        .groupBy(jobs.category, jobRuns.status)
        .all();
    },
    /** Ended runs of a job beyond the newest `keep`. */
    beyondRetention(jobId: number, keep: number): string[] {
      return db
        .select({ id: jobRuns.id })
        .from(jobRuns)
        .where(and(eq(jobRuns.jobId, jobId), inArray(jobRuns.status, TERMINAL)))
        .orderBy(desc(jobRuns.id))
        .limit(-1)
        .offset(keep)
        .all()
        .map((r) => r.id);
    },
    delete(ids: string[]): void {
      if (ids.length === 0) return;
      db.delete(jobRuns).where(inArray(jobRuns.id, ids)).run();
      db.run(sql`delete from job_run_output where run_id in ${ids}`);
    },
    indexOutput(runId: string, body: string): void {
      db.run(sql`insert into job_run_output (run_id, body) values (${runId}, ${body})`);
    },
    ofJobs(jobIds: number[]): Run[] {
      if (jobIds.length === 0) return [];
      return db.select().from(jobRuns).where(inArray(jobRuns.jobId, jobIds)).all();
    },
    notTerminalOf(jobId: number): Run[] {
      return db
        .select()
        .from(jobRuns)
        .where(and(eq(jobRuns.jobId, jobId), notInArray(jobRuns.status, TERMINAL)))
        .all();
    },
  };
}

export type RunsRepo = ReturnType<typeof createRunsRepo>;
