import fs from "node:fs";
import { writeTx } from "../../db/client.ts";
import type { Deps } from "../core/deps.ts";
import { afterRun, releaseNext } from "./finish.ts";

/** Kills what a crashed Berth's run left, only if it still carries that run's id. */
function stopLeftovers(runId: string, pid: number): void {
  try {
    const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8");
    if (!environ.split("\0").includes(`BERTH_RUN_ID=${runId}`)) return;
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}

/**
 * At start-up, before the job workers run: runs cut off by the stop become interrupted
 * (then retried per their job's policy); queued runs get their task back if the stop
 * ended it; scheduled runs and cron fires are left to the scheduler.
 */
export function recoverJobs(deps: Deps): number {
  const { runs, jobs } = deps.jobs.repos;
  const now = Date.now();
  let count = 0;
  for (const task of deps.repos.tasks.running("job"))
    deps.repos.tasks.finish(task.id, "interrupted");
  for (const run of runs.inStatus(["running", "paused"])) {
    if (run.pid) stopLeftovers(run.id, run.pid);
    const done = runs.update(run.id, {
      status: "interrupted",
      finishedAt: now,
      pausedAt: null,
      message: "Berth stopped while this run was running.",
    });
    const job = jobs.byId(run.jobId);
    if (done && job) afterRun(deps, done, job);
    count++;
  }
  for (const run of runs.inStatus(["queued"])) {
    const task = deps.repos.tasks.bySubject("job", run.id);
    const job = jobs.byId(run.jobId);
    if (!job) continue;
    if (job.concurrency === "queue") releaseNext(deps, job);
    else if (task?.status !== "queued")
      writeTx(deps.db, (tx) => deps.repos.tasks.enqueue(tx, "job", run.id));
  }
  return count;
}
