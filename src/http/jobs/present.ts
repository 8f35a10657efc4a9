import { MASKED, RUN_TERMINAL } from "../../domain/jobs/jobs.ts";
import type { Deps } from "../../services/core/deps.ts";
import type { Job, Run, Template, TemplateVersion } from "../../services/jobs/types.ts";

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export function presentVersion(v: TemplateVersion) {
  return {
    version: v.version,
    interpreter: v.interpreter,
    body: v.body,
    params: v.params,
    createdBy: v.createdBy,
    createdAt: iso(v.createdAt),
  };
}

export function presentTemplate(deps: Deps, t: Template) {
  const v = deps.jobs.repos.templates.version(t.id, t.latestVersion);
  return {
    name: t.name,
    description: t.description,
    latestVersion: t.latestVersion,
    ...(v ? presentVersion(v) : {}),
    usedBy: deps.jobs.repos.templates.usedBy(t.id),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

/** Secret values never leave: a job's preset secrets show as "***". */
export function presentJob(deps: Deps, j: Job) {
  const t = deps.jobs.repos.templates.byId(j.templateId);
  const last = deps.jobs.repos.runs.last(j.id);
  return {
    name: j.name,
    description: j.description,
    template: t?.name ?? null,
    version: j.pinnedVersion,
    args: Object.fromEntries(
      Object.entries(j.args).map(([k, v]) => [k, v.startsWith("enc:") ? MASKED : v]),
    ),
    category: j.category,
    tags: j.tags,
    cron: j.cron,
    timezone: j.timezone,
    catchUp: j.catchUp,
    concurrency: j.concurrency,
    timeoutSeconds: j.timeoutSeconds,
    retries: j.retries,
    retryDelaySeconds: j.retryDelaySeconds,
    outputCapBytes: j.outputCapBytes,
    retention: j.retention,
    scheduleEnabled: j.scheduleEnabled,
    schedulePausedReason: j.schedulePausedReason,
    nextRunAt: j.cron && j.scheduleEnabled ? iso(j.nextFireAt) : null,
    lastRun: last ? { id: last.id, status: last.status, finishedAt: iso(last.finishedAt) } : null,
    createdAt: iso(j.createdAt),
    updatedAt: iso(j.updatedAt),
  };
}

export function presentRun(deps: Deps, r: Run) {
  const job = deps.jobs.repos.jobs.byId(r.jobId);
  const v = deps.jobs.repos.templates.versionById(r.templateVersionId);
  return {
    id: r.id,
    job: job?.name ?? null,
    status: r.status,
    terminal: RUN_TERMINAL.has(r.status),
    trigger: r.trigger,
    triggeredBy: r.triggeredBy,
    rerunOf: r.rerunOf,
    retryOf: r.retryOf,
    attempt: r.attempt,
    templateVersion: v?.version ?? null,
    args: Object.fromEntries(
      Object.entries(r.args).map(([k, val]) => [k, r.secretNames.includes(k) ? MASKED : val]),
    ),
    files: r.files.map((f) => ({ param: f.param, name: f.name, size: f.size })),
    scheduledFor: iso(r.scheduledFor),
    createdAt: iso(r.createdAt),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    exitCode: r.exitCode,
    durationMs: r.durationMs,
    pausedMs: r.pausedMs,
    message: r.message,
    log: { bytes: r.logBytes, dropped: r.logDropped },
  };
}

/** A run for the pages: the API's view plus its times in ms for the date filters. */
export function runView(deps: Deps, r: Run) {
  return {
    ...presentRun(deps, r),
    ms: {
      created: r.createdAt,
      scheduled: r.scheduledFor,
      started: r.startedAt,
      finished: r.finishedAt,
    },
  };
}
