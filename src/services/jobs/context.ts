import path from "node:path";
import type { RunOptions, RunResult } from "../../adapters/process/run.ts";
import type { Db } from "../../db/client.ts";
import { createJobsRepo } from "../../db/jobs/jobs-repo.ts";
import { createRunsRepo } from "../../db/jobs/runs-repo.ts";
import { createTemplatesRepo } from "../../db/jobs/templates-repo.ts";
import { createBus } from "../core/log-bus.ts";
import type { LiveLog } from "./output-log.ts";

/** Signals every process of one run, those that left its process group included. */
export type RunControl = {
  signal(signal: NodeJS.Signals): void;
  pause(): void;
  resume(): void;
};

/** What a run's command is given: runProcess's options, with the work directory. */
export type JobRunOptions = Omit<RunOptions, "cwd"> & {
  /** Host directory the command may write (bound at `insideDir`); it starts there. */
  workDir: string;
  /** Handed over once the command started: reaches every process of the run. */
  onControl?: (control: RunControl) => void;
};

/**
 * Where runs execute: the security sandbox (src/adapters/sandbox, through
 * sandbox-bridge.ts).
 */
export type JobSandbox = {
  /** The work directory as the command sees it: its cwd and HOME, file arguments under it. */
  insideDir(workDir: string): string;
  /** Gives the work directory Berth filled (script, files) to the sandbox's user. */
  handOver(workDir: string): Promise<void>;
  removeWorkDir(workDir: string): Promise<void>;
  run(opts: JobRunOptions): Promise<RunResult>;
};

/** Time for the scheduler and delays; tests drive a manual one. */
export type Clock = {
  now(): number;
  /** Calls fn after ms; returns the cancel. */
  setTimer(fn: () => void, ms: number): () => void;
};

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1));
    t.unref();
    return () => clearTimeout(t);
  },
};

export type RunEvent =
  | {
      type: "output";
      offset: number;
      stream: "stdout" | "stderr" | "berth";
      at: number;
      /** Raw bytes as read (a multi-byte character may straddle two events). */
      bytes: Buffer;
    }
  | { type: "status"; status: string };

/** A running run: its live log and, once started, the control of its processes. */
export type LiveRun = {
  log: LiveLog;
  control: RunControl | null;
  /** Asks the executor to pause/resume (keeps the timeout clock right) or stop. */
  pause(): void;
  resume(): void;
  cancel(): void;
};

export type JobsLimits = {
  maxFileBytes: number;
  defaultOutputCapBytes: number;
  graceMs: number;
};

export const defaultJobsLimits: JobsLimits = {
  maxFileBytes: 50 * 1024 * 1024,
  defaultOutputCapBytes: 16 * 1024 * 1024,
  graceMs: 5000,
};

export type JobsContext = {
  repos: {
    templates: ReturnType<typeof createTemplatesRepo>;
    jobs: ReturnType<typeof createJobsRepo>;
    runs: ReturnType<typeof createRunsRepo>;
  };
  bus: ReturnType<typeof createBus<RunEvent>>;
  live: Map<string, LiveRun>;
  /** Where runs execute; null until main.ts (or a test) provides the sandbox. */
  sandbox: JobSandbox | null;
  clock: Clock;
  limits: JobsLimits;
  dirs: { runs: string; work: string };
  /** Wake the job workers and the scheduler after a change (set when they start). */
  workers: { poke(): void; abort(kind: "job", id: string): boolean };
  scheduler: { poke(): void };
  /** The environment every run starts from (PATH and the like), before its arguments. */
  baseEnv: Record<string, string>;
};

export function createJobsContext(db: Db, dataDir: string, workRoot: string): JobsContext {
  return {
    repos: {
      templates: createTemplatesRepo(db),
      jobs: createJobsRepo(db),
      runs: createRunsRepo(db),
    },
    bus: createBus<RunEvent>(),
    live: new Map(),
    sandbox: null,
    clock: realClock,
    limits: defaultJobsLimits,
    // a run's files are kept with it; its work directory is outside the data directory,
    // the only place its sandbox sees
    dirs: { runs: path.join(dataDir, "jobs", "runs"), work: path.join(workRoot, "jobs") },
    workers: { poke: () => undefined, abort: () => false },
    scheduler: { poke: () => undefined },
    baseEnv: { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8" },
  };
}
