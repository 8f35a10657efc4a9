import fs from "node:fs";
import path from "node:path";
import { writeTx } from "../../db/client.ts";
import type { Job, NewJob } from "../../db/jobs/jobs-repo.ts";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import {
  assertJobName,
  CATCH_UP,
  CATEGORY,
  type CatchUp,
  CONCURRENCY,
  type Concurrency,
  checkPreset,
  type ParamDef,
} from "../../domain/jobs/jobs.ts";
import type { Deps } from "../core/deps.ts";
import { assertSchedule, nextFire } from "./cron.ts";
import { getTemplate, templateVersion } from "./templates.ts";

export type JobInput = {
  name: string;
  description?: string;
  template: string;
  /** A version number, or null/absent for the latest at each run. */
  version?: number | null;
  args?: Record<string, unknown>;
  category?: string;
  tags?: string[];
  cron?: string | null;
  timezone?: string;
  catchUp?: CatchUp;
  concurrency?: Concurrency;
  timeoutSeconds?: number;
  retries?: number;
  retryDelaySeconds?: number;
  outputCapBytes?: number;
  retention?: number;
  scheduleEnabled?: boolean;
};

const ENC = "enc:";
const int = (field: string, v: unknown, min: number, max: number): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw unprocessable(
      "invalid_field",
      `${field} must be a whole number from ${min} to ${max}.`,
      field,
    );
  return v;
};
const oneOf = <T extends string>(field: string, v: unknown, all: readonly T[]): T => {
  if (!all.includes(v as T))
    throw unprocessable("invalid_field", `${field} must be one of ${all.join(", ")}.`, field);
  return v as T;
};

/** Validates a whole job before anything is written; secrets are encrypted here. */
function toRow(deps: Deps, input: JobInput, old?: Job): Omit<NewJob, "name"> {
  const template = getTemplate(deps, input.template);
  const version = input.version ?? null;
  const v = templateVersion(deps, template, version ?? undefined);
  const args = Object.fromEntries(
    Object.entries(input.args ?? {}).filter(([, x]) => x !== null && x !== undefined && x !== ""),
  );
  checkPreset(v.params, args);
  const category = input.category?.trim() || "general";
  if (!CATEGORY.test(category))
    throw unprocessable(
      "invalid_field",
      "category: letters, digits, spaces, . _ -; at most 40.",
      "category",
    );
  const tags = input.tags ?? [];
  if (
    !Array.isArray(tags) ||
    tags.length > 20 ||
    tags.some((t) => typeof t !== "string" || !/^[\w.-]{1,30}$/.test(t))
  )
    throw unprocessable("invalid_field", "tags: up to 20 words of letters, digits, . _ -.", "tags");
  const cron = input.cron?.trim() || null;
  const timezone = input.timezone ?? "UTC";
  if (cron) assertSchedule(cron, timezone);
  const secret = new Set(v.params.filter((p: ParamDef) => p.type === "secret").map((p) => p.name));
  const stored: Record<string, string> = {};
  for (const [k, x] of Object.entries(args)) {
    const text = String(x);
    stored[k] = secret.has(k)
      ? text === "***" && old?.args[k]
        ? old.args[k]
        : ENC + deps.secrets.encrypt(text)
      : text;
  }
  const now = deps.jobs.clock.now();
  const unchangedSchedule = old && old.cron === cron && old.timezone === timezone;
  return {
    description: (input.description ?? "").slice(0, 2000),
    templateId: template.id,
    pinnedVersion: version,
    args: stored,
    category,
    tags,
    cron,
    timezone,
    catchUp: oneOf("catchUp", input.catchUp ?? "skip", CATCH_UP),
    concurrency: oneOf("concurrency", input.concurrency ?? "allow", CONCURRENCY),
    timeoutSeconds: int("timeoutSeconds", input.timeoutSeconds ?? 3600, 1, 7 * 86400),
    retries: int("retries", input.retries ?? 0, 0, 20),
    retryDelaySeconds: int("retryDelaySeconds", input.retryDelaySeconds ?? 30, 0, 86400),
    outputCapBytes: int(
      "outputCapBytes",
      input.outputCapBytes ?? deps.jobs.limits.defaultOutputCapBytes,
      1024,
      1024 ** 3,
    ),
    retention: int("retention", input.retention ?? 50, 1, 10_000),
    scheduleEnabled: input.scheduleEnabled ?? old?.scheduleEnabled ?? true,
    nextFireAt: cron ? (unchangedSchedule ? old.nextFireAt : nextFire(cron, timezone, now)) : null,
  };
}

/** Preset arguments with secret values decrypted, for a run. */
export function presetArgs(deps: Deps, job: Job): Record<string, string> {
  return Object.fromEntries(
    Object.entries(job.args).map(([k, v]) => [
      k,
      v.startsWith(ENC) ? deps.secrets.decrypt(v.slice(ENC.length)) : v,
    ]),
  );
}

export function getJob(deps: Deps, name: string): Job {
  const job = deps.jobs.repos.jobs.byName(name);
  if (!job) throw notFound("job_not_found", `There is no job ${name}.`);
  return job;
}

export function createJob(deps: Deps, input: JobInput): Job {
  assertJobName("job", input.name);
  const row = toRow(deps, input);
  if (deps.jobs.repos.jobs.byName(input.name))
    throw conflict("job_exists", `Job ${input.name} already exists.`);
  const job = writeTx(deps.db, (tx) =>
    deps.jobs.repos.jobs.insert(tx, { ...row, name: input.name }),
  );
  deps.jobs.scheduler.poke();
  return job;
}

export function updateJob(deps: Deps, name: string, input: Omit<JobInput, "name">): Job {
  const old = getJob(deps, name);
  const row = toRow(deps, { ...input, name }, old);
  const job = writeTx(deps.db, (tx) => deps.jobs.repos.jobs.update(tx, old.id, row)) as Job;
  deps.jobs.scheduler.poke();
  return job;
}

export function deleteJob(deps: Deps, name: string): void {
  const job = getJob(deps, name);
  if (
    deps.jobs.repos.runs
      .notTerminalOf(job.id)
      .some((r) => r.status === "running" || r.status === "paused")
  )
    throw conflict("job_running", `Job ${name} has a run in progress: cancel it first.`);
  const ids = deps.jobs.repos.runs.ofJobs([job.id]).map((r) => r.id);
  deps.jobs.repos.runs.delete(ids);
  deps.jobs.repos.jobs.delete(job.id);
  for (const id of ids)
    fs.rmSync(path.join(deps.jobs.dirs.runs, id), { recursive: true, force: true });
}

/** Pauses or resumes the schedule of one job; fires meanwhile are recorded as missed. */
export function setJobSchedule(deps: Deps, name: string, enabled: boolean, reason?: string): Job {
  const job = getJob(deps, name);
  return writeTx(deps.db, (tx) =>
    deps.jobs.repos.jobs.update(tx, job.id, {
      scheduleEnabled: enabled,
      schedulePausedReason: enabled ? null : (reason?.slice(0, 500) ?? ""),
    }),
  ) as Job;
}

const GLOBAL = "jobs.scheduling_paused";

export function schedulingPaused(deps: Deps): { paused: boolean; reason: string | null } {
  const row = deps.repos.settings.get(GLOBAL);
  return row ? { paused: true, reason: row.value } : { paused: false, reason: null };
}

/** Pauses or resumes the scheduling of every job. */
export function setScheduling(deps: Deps, paused: boolean, reason?: string) {
  writeTx(deps.db, (tx) => {
    if (paused)
      deps.repos.settings.set(tx, {
        key: GLOBAL,
        value: reason?.slice(0, 500) ?? "",
        secret: false,
      });
    else deps.repos.settings.delete(tx, GLOBAL);
  });
  deps.jobs.scheduler.poke();
  return schedulingPaused(deps);
}
