import { writeTx } from "../../db/client.ts";
import type { Job } from "../../db/jobs/jobs-repo.ts";
import { DomainError } from "../../domain/errors.ts";
import { newId } from "../../domain/ids.ts";
import type { Deps } from "../core/deps.ts";
import { nextFire } from "./cron.ts";
import { schedulingPaused } from "./jobs.ts";
import { fireArgs, mayStart } from "./runs.ts";

/** A fire later than this was missed (Berth was down), and the catch-up policy decides. */
export const LATE_MS = 60_000;
/** Fires looked at per job and tick: a schedule every second down for a day stops here. */
const MAX_FIRES = 1000;
const MAX_SLEEP_MS = 30_000;

export type Scheduler = { poke(): void; stop(): void; tick(): void };

function recordMissed(deps: Deps, job: Job, at: number, message: string): void {
  const t = deps.jobs.repos.templates.byId(job.templateId);
  const v = t && deps.jobs.repos.templates.version(t.id, job.pinnedVersion ?? t.latestVersion);
  if (!v) return;
  const now = deps.jobs.clock.now();
  writeTx(deps.db, (tx) =>
    deps.jobs.repos.runs.insert(tx, {
      id: newId(now),
      jobId: job.id,
      templateVersionId: v.id,
      status: "missed",
      trigger: "schedule",
      triggeredBy: "schedule",
      args: {},
      secretNames: [],
      files: [],
      scheduledFor: at,
      createdAt: now,
      finishedAt: now,
      message,
    }),
  );
}

/** Queues a run for each fire (inside the tick's transaction), or records why not. */
function fire(deps: Deps, job: Job, times: number[]): void {
  if (times.length === 0) return;
  let prepared: ReturnType<typeof fireArgs>;
  try {
    prepared = fireArgs(deps, job);
  } catch (err) {
    const why = err instanceof DomainError ? err.message : String(err);
    for (const at of times) recordMissed(deps, job, at, `Skipped: ${why}`);
    return;
  }
  const { runs } = deps.jobs.repos;
  for (const at of times) {
    if (job.concurrency === "skip" && runs.active(job.id).length > 0) {
      recordMissed(deps, job, at, "Skipped: the previous run was still running.");
      continue;
    }
    const now = deps.jobs.clock.now();
    runs.insertFired({
      id: newId(),
      jobId: job.id,
      templateVersionId: prepared.versionId,
      args: prepared.args,
      secretNames: prepared.secretNames,
      scheduledFor: at,
      createdAt: now,
      withTask: mayStart(deps, job),
    });
  }
}

function handleJob(deps: Deps, job: Job, now: number, paused: boolean): void {
  if (!job.cron || job.nextFireAt === null) return;
  const fires: number[] = [];
  let t: number | null = job.nextFireAt;
  while (t !== null && t <= now && fires.length < MAX_FIRES) {
    fires.push(t);
    t = nextFire(job.cron, job.timezone, t);
  }
  if (t !== null && t <= now) t = nextFire(job.cron, job.timezone, now);
  // the fires are handled once: the next one is written before any run starts
  deps.jobs.repos.jobs.setNextFire(job.id, t);
  if (paused || !job.scheduleEnabled) return;
  const late = fires.filter((f) => now - f > LATE_MS);
  const onTime = fires.filter((f) => now - f <= LATE_MS);
  const run: number[] = [...onTime];
  if (job.catchUp === "all") run.unshift(...late);
  for (const f of late) {
    if (job.catchUp === "all") continue;
    if (job.catchUp === "once" && f === late[late.length - 1] && onTime.length === 0) {
      run.unshift(f);
      continue;
    }
    recordMissed(deps, job, f, "Missed while Berth was down (catch-up policy).");
  }
  fire(deps, job, run);
}

/** Delayed runs (runAt, delaySeconds, retries) whose time came join the queue. */
function releaseDue(deps: Deps, now: number): void {
  const { runs, jobs } = deps.jobs.repos;
  for (const r of runs.dueScheduled(now)) {
    const job = jobs.byId(r.jobId);
    if (!job) continue;
    writeTx(deps.db, (tx) => {
      const moved = runs.transition(r.id, ["scheduled"], { status: "queued" }, tx);
      if (moved && mayStart(deps, job)) deps.repos.tasks.enqueue(tx, "job", r.id);
    });
    deps.jobs.workers.poke();
  }
}

/**
 * One timer for every schedule: it sleeps until the earliest due fire or delayed run
 * (at most 30 s), handles what is due, and sleeps again. The database holds every
 * next fire, so a restart picks up where the last process stopped.
 */
export function startScheduler(deps: Deps): Scheduler {
  const clock = deps.jobs.clock;
  let cancel: () => void = () => undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    cancel();
    const now = clock.now();
    try {
      const paused = schedulingPaused(deps).paused;
      // one transaction for every fire of this tick: 1,000 fires cost one commit
      writeTx(deps.db, () => {
        for (const job of deps.jobs.repos.jobs.due(now)) handleJob(deps, job, now, paused);
        releaseDue(deps, now);
      });
      deps.jobs.workers.poke();
    } catch (err) {
      deps.logger.error({ err }, "job scheduler tick");
    }
    const next = [deps.jobs.repos.jobs.earliestFire(), deps.jobs.repos.runs.earliestScheduled()]
      .filter((x): x is number => x !== null)
      .reduce((a, b) => Math.min(a, b), now + MAX_SLEEP_MS);
    cancel = clock.setTimer(tick, Math.max(0, next - clock.now()));
  };
  const scheduler: Scheduler = {
    tick,
    poke: () => {
      if (!stopped) tick();
    },
    stop: () => {
      stopped = true;
      cancel();
    },
  };
  deps.jobs.scheduler = scheduler;
  tick();
  return scheduler;
}
