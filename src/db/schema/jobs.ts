import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  CATCH_UP,
  CONCURRENCY,
  type ParamDef,
  RUN_STATUSES,
  TRIGGERS,
} from "../../domain/jobs/jobs.ts";

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

export const jobTemplates = sqliteTable("job_templates", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  latestVersion: integer("latest_version").notNull().default(1),
  createdAt: integer("created_at").notNull().default(now),
  updatedAt: integer("updated_at").notNull().default(now),
});

/** Every edit of a template is a new row: runs point at the version they used. */
export const jobTemplateVersions = sqliteTable(
  "job_template_versions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    templateId: integer("template_id")
      .notNull()
      .references(() => jobTemplates.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    interpreter: text("interpreter").notNull(),
    body: text("body").notNull(),
    params: text("params", { mode: "json" }).$type<ParamDef[]>().notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("job_template_versions_v").on(t.templateId, t.version)],
);

export const jobs = sqliteTable(
  "jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull().unique(),
    description: text("description").notNull().default(""),
    templateId: integer("template_id")
      .notNull()
      .references(() => jobTemplates.id),
    /** Null: the template's latest version at each run. */
    pinnedVersion: integer("pinned_version"),
    /** Preset arguments; a secret one is stored encrypted (prefix "enc:"). */
    args: text("args", { mode: "json" }).$type<Record<string, string>>().notNull(),
    category: text("category").notNull().default("general"),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    cron: text("cron"),
    timezone: text("timezone").notNull().default("UTC"),
    catchUp: text("catch_up", { enum: CATCH_UP }).notNull().default("skip"),
    concurrency: text("concurrency", { enum: CONCURRENCY }).notNull().default("allow"),
    timeoutSeconds: integer("timeout_seconds").notNull().default(3600),
    retries: integer("retries").notNull().default(0),
    retryDelaySeconds: integer("retry_delay_seconds").notNull().default(30),
    outputCapBytes: integer("output_cap_bytes").notNull(),
    scheduleEnabled: integer("schedule_enabled", { mode: "boolean" }).notNull().default(true),
    schedulePausedReason: text("schedule_paused_reason"),
    retention: integer("retention").notNull().default(50),
    /** The next cron fire not yet handled; null without a schedule. */
    nextFireAt: integer("next_fire_at"),
    createdAt: integer("created_at").notNull().default(now),
    updatedAt: integer("updated_at").notNull().default(now),
  },
  (t) => [index("jobs_next_fire").on(t.nextFireAt), index("jobs_category").on(t.category)],
);

export type RunFile = { param: string; name: string; size: number };

export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: text("id").primaryKey(),
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    templateVersionId: integer("template_version_id")
      .notNull()
      .references(() => jobTemplateVersions.id),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    trigger: text("trigger", { enum: TRIGGERS }).notNull(),
    triggeredBy: text("triggered_by").notNull(),
    rerunOf: text("rerun_of"),
    retryOf: text("retry_of"),
    attempt: integer("attempt").notNull().default(1),
    /** Resolved arguments; secret values encrypted ("enc:") or dropped ("***"). */
    args: text("args", { mode: "json" }).$type<Record<string, string>>().notNull(),
    secretNames: text("secret_names", { mode: "json" }).$type<string[]>().notNull(),
    files: text("files", { mode: "json" }).$type<RunFile[]>().notNull(),
    scheduledFor: integer("scheduled_for"),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    exitCode: integer("exit_code"),
    durationMs: integer("duration_ms"),
    pausedMs: integer("paused_ms").notNull().default(0),
    pausedAt: integer("paused_at"),
    cancelRequested: integer("cancel_requested", { mode: "boolean" }).notNull().default(false),
    /** The host pid of the sandbox, to stop leftovers after a crash. */
    pid: integer("pid"),
    message: text("message"),
    logBytes: integer("log_bytes").notNull().default(0),
    logDropped: integer("log_dropped").notNull().default(0),
  },
  (t) => [
    index("job_runs_job").on(t.jobId, t.id),
    index("job_runs_status").on(t.status, t.scheduledFor),
  ],
);
