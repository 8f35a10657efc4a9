import fs from "node:fs";
import path from "node:path";
import { MIN_SECRET_LENGTH } from "../../adapters/process/mask.ts";
import { writeTx } from "../../db/client.ts";
import type { Task, TaskEnd } from "../../db/core/tasks-repo.ts";
import type { Run } from "../../db/jobs/runs-repo.ts";
import { argEnvName, type RunStatus } from "../../domain/jobs/jobs.ts";
import type { Deps } from "../core/deps.ts";
import type { LiveRun, RunControl } from "./context.ts";
import { afterRun } from "./finish.ts";
import { createLiveLog, type Stream } from "./output-log.ts";
import { mayStart, runArgs, runDir } from "./runs.ts";

const FOREVER = 2 ** 31 - 1;

/** The queue's handler for a `job` task: one run, start to end. */
export async function executeRun(deps: Deps, task: Task, signal: AbortSignal): Promise<TaskEnd> {
  const { runs, jobs, templates } = deps.jobs.repos;
  const queued = runs.byId(task.subjectId);
  const job = queued && jobs.byId(queued.jobId);
  if (!queued || !job || queued.status !== "queued") return "done";
  // a job that queues its runs: take the turn atomically, or wait for the running one
  const clock = deps.jobs.clock;
  const run = writeTx(deps.db, (tx) =>
    mayStart(deps, job)
      ? runs.transition(queued.id, ["queued"], { status: "running", startedAt: clock.now() }, tx)
      : undefined,
  );
  if (!run) return "done";
  deps.jobs.bus.publish(run.id, { type: "status", status: "running" });
  const version = templates.versionById(run.templateVersionId);
  const dir = runDir(deps, run.id);
  const log = createLiveLog(dir, job.outputCapBytes);
  const say = (stream: Stream, data: string | Buffer) => {
    const at = Date.now();
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    const offset = log.write(stream, bytes, at);
    deps.jobs.bus.publish(run.id, { type: "output", offset, stream, at, bytes });
  };
  let status: RunStatus = "failed";
  let exitCode: number | null = null;
  let message: string | null = null;
  const live: LiveRun = {
    log,
    control: null,
    pause: () => undefined,
    resume: () => undefined,
    cancel: () => undefined,
  };
  deps.jobs.live.set(run.id, live);
  const work = path.join(deps.jobs.dirs.work, run.id);
  try {
    if (!version) throw new Error("the template version is gone");
    const sandbox = deps.jobs.sandbox;
    if (!sandbox) throw new Error("no sandbox is configured to run jobs");
    const inside = sandbox.insideDir(work);
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(work, "script"), version.body, { mode: 0o644 });
    const args = runArgs(deps, run);
    const env: Record<string, string> = {
      ...deps.jobs.baseEnv,
      HOME: inside,
      BERTH_RUN_ID: run.id,
      BERTH_JOB: job.name,
    };
    const positional: string[] = [];
    for (const p of version.params) {
      let value = args[p.name];
      if (p.type === "file") {
        const f = run.files.find((x) => x.param === p.name);
        if (f) {
          const dest = path.join(work, "files", p.name, f.name);
          fs.mkdirSync(path.dirname(dest), { recursive: true });
          fs.copyFileSync(path.join(dir, "files", p.name, f.name), dest);
          value = path.posix.join(inside, "files", p.name, f.name);
        }
      }
      if (value === undefined) continue;
      env[argEnvName(p.name)] = value;
      positional.push(value);
    }
    const secrets = run.secretNames
      .map((n) => args[n])
      .filter((v): v is string => v !== undefined && v.length >= MIN_SECRET_LENGTH);

    // the timeout counts running time only: a pause stops its clock
    const timeoutMs = job.timeoutSeconds * 1000;
    let used = 0;
    let since = Date.now();
    let timer: () => void = () => undefined;
    let timedOut = false;
    const stopper = new AbortController();
    const arm = () => {
      since = Date.now();
      timer = clock.setTimer(() => {
        timedOut = true;
        stopper.abort();
      }, timeoutMs - used);
    };
    const onAbort = () => stopper.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    live.cancel = () => {
      live.control?.resume();
      stopper.abort();
    };
    live.pause = () => {
      if (!live.control) return;
      live.control.pause();
      timer();
      used += Date.now() - since;
      runs.update(run.id, { status: "paused", pausedAt: Date.now() });
      say("berth", "[paused]\n");
      deps.jobs.bus.publish(run.id, { type: "status", status: "paused" });
    };
    live.resume = () => {
      const now = runs.byId(run.id);
      if (!live.control || now?.status !== "paused") return;
      live.control.resume();
      runs.update(run.id, {
        status: "running",
        pausedAt: null,
        pausedMs: now.pausedMs + (Date.now() - (now.pausedAt ?? Date.now())),
      });
      say("berth", "[resumed]\n");
      deps.jobs.bus.publish(run.id, { type: "status", status: "running" });
      arm();
    };
    await sandbox.handOver(work);
    arm();
    try {
      const result = await sandbox.run({
        argv: [version.interpreter, "script", ...positional],
        workDir: work,
        env,
        timeoutMs: FOREVER,
        maxOutputBytes: Number.MAX_SAFE_INTEGER,
        secrets,
        graceMs: deps.jobs.limits.graceMs,
        signal: stopper.signal,
        onStart: (pid) => runs.update(run.id, { pid }),
        onControl: (c: RunControl) => {
          live.control = c;
        },
        onOutput: (chunk) => say(chunk.stream, chunk.text),
        // nothing to mask: the bytes go to the log as read, at the speed of a file
        ...(secrets.length === 0 ? { onBytes: say } : {}),
      });
      exitCode = result.exitCode;
      const after = runs.byId(run.id);
      if (timedOut) {
        status = "timed_out";
        message = `Timed out after ${job.timeoutSeconds} s of running time.`;
      } else if (after?.cancelRequested) {
        status = "cancelled";
        message = after.message;
      } else if (signal.aborted) {
        status = "interrupted";
        message = "Berth stopped while this run was running.";
      } else if (result.exitCode === 0) status = "succeeded";
      else {
        status = "failed";
        message =
          result.exitCode === null
            ? `Ended by ${result.signal ?? "a signal"}.`
            : `Exited with code ${result.exitCode}.`;
      }
    } finally {
      timer();
      signal.removeEventListener("abort", onAbort);
    }
  } catch (err) {
    status = "failed";
    message = `Could not run: ${(err as Error).message}`;
    say("berth", `${message}\n`);
  } finally {
    deps.jobs.live.delete(run.id);
    await (deps.jobs.sandbox?.removeWorkDir(work) ?? Promise.resolve()).catch((err: unknown) =>
      deps.logger.warn({ err, run: run.id }, "could not remove a run's work directory"),
    );
  }
  if (message && status !== "failed") say("berth", `[${message}]\n`);
  const stored = log.finish();
  const end = runs.byId(run.id);
  const finishedAt = Date.now();
  const done = runs.update(run.id, {
    status,
    exitCode,
    message,
    finishedAt,
    pausedAt: null,
    durationMs: finishedAt - (end?.startedAt ?? finishedAt) - (end?.pausedMs ?? 0),
    logBytes: stored.bytes,
    logDropped: stored.dropped,
  }) as Run;
  deps.jobs.bus.publish(run.id, { type: "status", status });
  afterRun(deps, done, job);
  return status === "succeeded"
    ? "done"
    : status === "cancelled"
      ? "cancelled"
      : status === "interrupted"
        ? "interrupted"
        : "failed";
}
