import fs from "node:fs";
import type { Run } from "../../src/db/jobs/runs-repo.ts";
import type { ParamDef } from "../../src/domain/jobs/jobs.ts";
import { startWorkers, type WorkerPool } from "../../src/queue/workers.ts";
import type { Deps } from "../../src/services/core/deps.ts";
import type { Clock } from "../../src/services/jobs/context.ts";
import { executeRun } from "../../src/services/jobs/execute.ts";
import { createJob, type JobInput } from "../../src/services/jobs/jobs.ts";
import { createTemplate } from "../../src/services/jobs/templates.ts";

/** Job workers over the test's deps, running in the bubblewrap sandbox. */
export function startJobWorkers(deps: Deps, graceMs = 500): WorkerPool {
  deps.jobs.limits = { ...deps.jobs.limits, graceMs };
  const pool = startWorkers({
    tasks: deps.repos.tasks,
    handlers: { job: (task, signal) => executeRun(deps, task, signal) },
    concurrency: 2,
    logger: deps.logger,
    pollMs: 50,
  });
  deps.jobs.workers = pool;
  return pool;
}

let n = 0;
/** A template and a job over it, named freshly. */
export function makeJob(
  deps: Deps,
  body: string,
  opts: Partial<JobInput> & { params?: ParamDef[]; interpreter?: string } = {},
): string {
  const name = `job${n++}`;
  createTemplate(
    deps,
    { name: `t-${name}`, interpreter: opts.interpreter ?? "sh", body, params: opts.params ?? [] },
    "test",
  );
  const { params: _p, interpreter: _i, ...rest } = opts;
  createJob(deps, { name, template: `t-${name}`, ...rest });
  return name;
}

/** Polls the run until `ok` holds, or throws with its last state. */
export async function waitRun(
  deps: Deps,
  id: string,
  ok: (r: Run) => boolean,
  ms = 20_000,
): Promise<Run> {
  const end = Date.now() + ms;
  for (;;) {
    const r = deps.jobs.repos.runs.byId(id);
    if (r && ok(r)) return r;
    if (Date.now() > end) throw new Error(`run ${id} stuck: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

export const ended = (r: Run) =>
  ["succeeded", "failed", "cancelled", "timed_out", "interrupted", "missed"].includes(r.status);

/** Host pids whose environment carries the run's id (the sandbox's processes). */
export function pidsOfRun(id: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    const pid = Number(e);
    if (!Number.isInteger(pid)) continue;
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8");
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      if (env.split("\0").includes(`BERTH_RUN_ID=${id}`) && !stat.includes(") Z ")) out.push(pid);
    } catch {
      // gone or not ours
    }
  }
  return out;
}

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

/** A clock the test moves by hand; timers fire when it passes them. */
export function manualClock(
  start: number,
): Clock & { advance(ms: number): void; set(at: number): void } {
  let now = start;
  let timers: { at: number; fn: () => void }[] = [];
  const run = () => {
    for (;;) {
      const due = timers.filter((t) => t.at <= now);
      if (due.length === 0) return;
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    }
  };
  return {
    now: () => now,
    setTimer(fn, ms) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => {
        timers = timers.filter((x) => x !== t);
      };
    },
    advance(ms) {
      now += ms;
      run();
    },
    set(at) {
      now = at;
      run();
    },
  };
}
