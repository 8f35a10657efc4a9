import fs from "node:fs";
import path from "node:path";
import { writeTx } from "../../db/client.ts";
import type { Job } from "../../db/jobs/jobs-repo.ts";
import type { NewRun, Run } from "../../db/jobs/runs-repo.ts";
import type { RunFile } from "../../db/schema/jobs.ts";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import { newId } from "../../domain/ids.ts";
import { resolveArgs, type Trigger } from "../../domain/jobs/jobs.ts";
import type { Deps } from "../core/deps.ts";
import { getJob, presetArgs } from "./jobs.ts";
import { templateVersion } from "./templates.ts";

/** A file received for a run, waiting in a temporary place. */
export type UploadedFile = { name: string; size: number; path: string };

export type RunRequest = {
  args?: Record<string, unknown>;
  files?: Record<string, UploadedFile>;
  runAt?: string | number;
  delaySeconds?: number;
  trigger: Trigger;
  by: string;
  /** The cron fire this run is for. */
  firedFor?: number;
};

const ENC = "enc:";
export const runDir = (deps: Deps, id: string) => path.join(deps.jobs.dirs.runs, id);

function when(deps: Deps, req: RunRequest): number | null {
  const now = deps.jobs.clock.now();
  if (req.runAt !== undefined && req.runAt !== null && req.runAt !== "") {
    const at = typeof req.runAt === "number" ? req.runAt : Date.parse(req.runAt);
    if (!Number.isFinite(at))
      throw unprocessable("invalid_run_at", "runAt is not a time.", "runAt");
    if (at < now - 1000) throw unprocessable("run_at_past", "runAt is in the past.", "runAt");
    return at;
  }
  if (req.delaySeconds !== undefined && req.delaySeconds !== null) {
    const d = req.delaySeconds;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > 366 * 86400)
      throw unprocessable(
        "invalid_delay",
        "delaySeconds must be a whole number of seconds.",
        "delaySeconds",
      );
    return d === 0 ? null : now + d * 1000;
  }
  return null;
}

/** Secret values stored encrypted, so a rerun can use them again. */
function storeArgs(deps: Deps, args: Record<string, string>, secretNames: string[]) {
  return Object.fromEntries(
    Object.entries(args).map(([k, v]) => [
      k,
      secretNames.includes(k) ? ENC + deps.secrets.encrypt(v) : v,
    ]),
  );
}

export function runArgs(deps: Deps, run: Run): Record<string, string> {
  return Object.fromEntries(
    Object.entries(run.args).map(([k, v]) => [
      k,
      v.startsWith(ENC) ? deps.secrets.decrypt(v.slice(ENC.length)) : v,
    ]),
  );
}

/**
 * The arguments of a scheduled fire, resolved once per job and tick: preset and default
 * values only, secrets stored encrypted. Throws like a run request would.
 */
export function fireArgs(deps: Deps, job: Job) {
  const { templates } = deps.jobs.repos;
  const t = templates.byId(job.templateId) ?? notFoundTemplate();
  const version = templateVersion(deps, t, job.pinnedVersion ?? undefined);
  const args = resolveArgs(
    version.params,
    {},
    presetArgs(deps, job),
    {},
    deps.jobs.limits.maxFileBytes,
  );
  const secretNames = version.params.filter((p) => p.type === "secret").map((p) => p.name);
  return { versionId: version.id, args: storeArgs(deps, args, secretNames), secretNames };
}

/** Whether this run may take a worker now (a job that queues runs one at a time). */
export function mayStart(deps: Deps, job: Job): boolean {
  return job.concurrency !== "queue" || deps.jobs.repos.runs.active(job.id).length === 0;
}

/**
 * Validates the arguments and files, then commits the run (and its queue task, unless it
 * waits for a time or its turn) in one transaction. Nothing is stored on a 422.
 */
export function startRun(deps: Deps, jobName: string, req: RunRequest, base?: Run): Run {
  const job = getJob(deps, jobName);
  const { templates } = deps.jobs.repos;
  const version = base
    ? templates.versionById(base.templateVersionId)
    : templateVersion(
        deps,
        templates.byId(job.templateId) ?? notFoundTemplate(),
        job.pinnedVersion ?? undefined,
      );
  if (!version) throw notFound("version_not_found", "The template version of that run is gone.");
  const files = req.files ?? {};
  const args = base
    ? runArgs(deps, base)
    : resolveArgs(
        version.params,
        req.args ?? {},
        presetArgs(deps, job),
        files,
        deps.jobs.limits.maxFileBytes,
      );
  const at = when(deps, req);
  if (at === null && job.concurrency === "skip" && deps.jobs.repos.runs.active(job.id).length > 0)
    throw conflict("job_running", `Job ${job.name} is running and skips new runs meanwhile.`);
  const secretNames = version.params.filter((p) => p.type === "secret").map((p) => p.name);
  const id = newId();
  const dir = runDir(deps, id);
  const kept: RunFile[] = [];
  try {
    if (base) {
      if (base.files.length > 0)
        fs.cpSync(path.join(runDir(deps, base.id), "files"), path.join(dir, "files"), {
          recursive: true,
        });
      kept.push(...base.files);
    }
    for (const [param, f] of Object.entries(files)) {
      const name =
        path
          .basename(f.name)
          .replace(/[^\w.-]/g, "_")
          .slice(0, 100) || "file";
      const dest = path.join(dir, "files", param, name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.renameSync(f.path, dest);
      kept.push({ param, name, size: f.size });
    }
    const row: NewRun = {
      id,
      jobId: job.id,
      templateVersionId: version.id,
      status: at === null ? "queued" : "scheduled",
      trigger: req.trigger,
      triggeredBy: req.by,
      rerunOf: req.trigger === "rerun" ? (base?.id ?? null) : null,
      retryOf: req.trigger === "retry" ? (base?.id ?? null) : null,
      attempt: req.trigger === "retry" && base ? base.attempt + 1 : 1,
      args: storeArgs(deps, args, secretNames),
      secretNames,
      files: kept,
      scheduledFor: at ?? req.firedFor ?? null,
      createdAt: deps.jobs.clock.now(),
    };
    const run = writeTx(deps.db, (tx) => {
      const r = deps.jobs.repos.runs.insert(tx, row);
      if (r.status === "queued" && mayStart(deps, job)) deps.repos.tasks.enqueue(tx, "job", id);
      return r;
    });
    if (run.status === "queued") deps.jobs.workers.poke();
    else deps.jobs.scheduler.poke();
    return run;
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function notFoundTemplate(): never {
  throw notFound("template_not_found", "The job's template is gone.");
}

export function getRun(deps: Deps, id: string): Run {
  const run = deps.jobs.repos.runs.byId(id);
  if (!run) throw notFound("run_not_found", `There is no run ${id}.`);
  return run;
}

/** The same job, template version, arguments (secrets included, stored encrypted) and files. */
export function rerun(deps: Deps, id: string, by: string, trigger: Trigger = "rerun"): Run {
  const base = getRun(deps, id);
  const job = deps.jobs.repos.jobs.byId(base.jobId);
  if (!job) throw notFound("job_not_found", "The job of that run is gone.");
  return startRun(deps, job.name, { trigger, by }, base);
}

/** A queued or scheduled run ends at once; a running or paused one is stopped (TERM, then KILL). */
export function cancelRun(deps: Deps, id: string, by: string): Run {
  const run = getRun(deps, id);
  const now = deps.jobs.clock.now();
  if (run.status === "queued" || run.status === "scheduled") {
    const done = deps.jobs.repos.runs.transition(id, ["queued", "scheduled"], {
      status: "cancelled",
      finishedAt: now,
      message: `Cancelled by ${by} before it started.`,
    });
    if (done) {
      deps.repos.tasks.cancelQueued("job", id);
      deps.jobs.bus.publish(id, { type: "status", status: "cancelled" });
      return done;
    }
  }
  const live = deps.jobs.live.get(id);
  if ((run.status === "running" || run.status === "paused") && live) {
    deps.jobs.repos.runs.update(id, { cancelRequested: true, message: `Cancelled by ${by}.` });
    live.cancel();
    return getRun(deps, id);
  }
  throw conflict("run_finished", `Run ${id} is ${run.status}; there is nothing to cancel.`);
}

export function pauseRun(deps: Deps, id: string): Run {
  const run = getRun(deps, id);
  const live = deps.jobs.live.get(id);
  if (run.status !== "running" || !live?.control)
    throw conflict("not_running", `Run ${id} is ${run.status}; only a running run can be paused.`);
  live.pause();
  return getRun(deps, id);
}

export function resumeRun(deps: Deps, id: string): Run {
  const run = getRun(deps, id);
  const live = deps.jobs.live.get(id);
  if (run.status !== "paused" || !live)
    throw conflict("not_paused", `Run ${id} is ${run.status}; only a paused run can be resumed.`);
  live.resume();
  return getRun(deps, id);
}
