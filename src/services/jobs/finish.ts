import fs from "node:fs";
import path from "node:path";
import { writeTx } from "../../db/client.ts";
import type { Job } from "../../db/jobs/jobs-repo.ts";
import type { Run } from "../../db/jobs/runs-repo.ts";
import { newId } from "../../domain/ids.ts";
import { RETRIED } from "../../domain/jobs/jobs.ts";
import type { Deps } from "../core/deps.ts";
import { outputFile } from "./output-log.ts";
import { runDir } from "./runs.ts";

/** What FTS5 indexes of one log: its first and last bytes (search finds errors at the end). */
const INDEX_HEAD = 1024 * 1024;
const INDEX_TAIL = 1024 * 1024;

function indexOutput(deps: Deps, run: Run): void {
  const file = outputFile(runDir(deps, run.id));
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    return;
  }
  const fd = fs.openSync(file, "r");
  try {
    const read = (from: number, len: number) => {
      const b = Buffer.alloc(Math.max(0, Math.min(len, size - from)));
      fs.readSync(fd, b, 0, b.length, from);
      return b.toString("utf8");
    };
    const body =
      size <= INDEX_HEAD + INDEX_TAIL
        ? read(0, size)
        : `${read(0, INDEX_HEAD)}\n${read(size - INDEX_TAIL, INDEX_TAIL)}`;
    deps.jobs.repos.runs.indexOutput(run.id, body);
  } finally {
    fs.closeSync(fd);
  }
}

/** Retries a failed run after the job's delay, as a new scheduled run. */
function retry(deps: Deps, run: Run, job: Job): void {
  if (!RETRIED.has(run.status) || run.attempt > job.retries || run.cancelRequested) return;
  const id = newId();
  const at = deps.jobs.clock.now() + job.retryDelaySeconds * 1000;
  const src = path.join(runDir(deps, run.id), "files");
  if (fs.existsSync(src)) fs.cpSync(src, path.join(runDir(deps, id), "files"), { recursive: true });
  writeTx(deps.db, (tx) =>
    deps.jobs.repos.runs.insert(tx, {
      ...run,
      id,
      status: "scheduled",
      trigger: "retry",
      retryOf: run.id,
      attempt: run.attempt + 1,
      scheduledFor: at,
      createdAt: deps.jobs.clock.now(),
      startedAt: null,
      finishedAt: null,
      exitCode: null,
      durationMs: null,
      pausedMs: 0,
      pausedAt: null,
      cancelRequested: false,
      pid: null,
      message: null,
      logBytes: 0,
      logDropped: 0,
    }),
  );
  deps.jobs.scheduler.poke();
}

/** Lets the next waiting run of a job that queues its runs take a worker. */
export function releaseNext(deps: Deps, job: Job): void {
  if (job.concurrency !== "queue") return;
  const next = deps.jobs.repos.runs.nextQueued(job.id);
  if (!next || deps.jobs.repos.runs.active(job.id).length > 0) return;
  const task = deps.repos.tasks.bySubject("job", next.id);
  if (task?.status === "queued") return;
  writeTx(deps.db, (tx) => deps.repos.tasks.enqueue(tx, "job", next.id));
  deps.jobs.workers.poke();
}

/** Removes the runs of a job beyond its retention, with their files and output. */
export function prune(deps: Deps, job: Job): void {
  const ids = deps.jobs.repos.runs.beyondRetention(job.id, job.retention);
  deps.jobs.repos.runs.delete(ids);
  for (const id of ids) fs.rmSync(runDir(deps, id), { recursive: true, force: true });
}

export function afterRun(deps: Deps, run: Run, job: Job): void {
  try {
    indexOutput(deps, run);
    retry(deps, run, job);
    releaseNext(deps, job);
    prune(deps, job);
  } catch (err) {
    deps.logger.error({ err, run: run.id }, "after a run");
  }
}
