import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import {
  MONITOR_KINDS,
  MONITOR_STATUSES,
  STAT_GRAINS,
} from "../../domain/monitoring/monitoring.ts";

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

/**
 * A check target. `environment_id` and `service_id` carry no foreign key (the tables live
 * in another schema file); the scheduler drops monitors whose environment is gone.
 */
export const monitors = sqliteTable(
  "monitors",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    kind: text("kind", { enum: MONITOR_KINDS }).notNull(),
    url: text("url"),
    method: text("method").notNull().default("GET"),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    body: text("body"),
    host: text("host"),
    port: integer("port"),
    environmentId: integer("environment_id"),
    serviceId: integer("service_id"),
    auto: integer("auto", { mode: "boolean" }).notNull().default(false),
    intervalS: integer("interval_s").notNull().default(60),
    fastIntervalS: integer("fast_interval_s").notNull().default(10),
    failuresBeforeDown: integer("failures_before_down").notNull().default(2),
    successesBeforeUp: integer("successes_before_up").notNull().default(1),
    expectedStatus: integer("expected_status").notNull().default(200),
    keyword: text("keyword"),
    keywordAbsent: integer("keyword_absent", { mode: "boolean" }).notNull().default(false),
    timeoutMs: integer("timeout_ms").notNull().default(10_000),
    certExpiryDays: integer("cert_expiry_days").notNull().default(14),
    pushTokenHash: text("push_token_hash").unique(),
    paused: integer("paused", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: MONITOR_STATUSES }).notNull().default("pending"),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [index("monitors_environment").on(t.environmentId)],
);

/** Raw results, kept 24 h. */
export const monitorChecks = sqliteTable(
  "monitor_checks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    monitorId: integer("monitor_id")
      .notNull()
      .references(() => monitors.id, { onDelete: "cascade" }),
    at: integer("at").notNull(),
    ok: integer("ok", { mode: "boolean" }).notNull(),
    latencyMs: integer("latency_ms").notNull(),
    code: integer("code"),
    message: text("message").notNull(),
  },
  // no index on `at` alone: pruning walks ids, which grow with time
  (t) => [index("monitor_checks_monitor_at").on(t.monitorId, t.at)],
);

/** Per-minute (24 h), per-hour (30 d) and per-day (365 d) roll-ups. */
export const monitorStats = sqliteTable(
  "monitor_stats",
  {
    monitorId: integer("monitor_id")
      .notNull()
      .references(() => monitors.id, { onDelete: "cascade" }),
    grain: text("grain", { enum: STAT_GRAINS }).notNull(),
    bucket: integer("bucket").notNull(),
    up: integer("up").notNull(),
    down: integer("down").notNull(),
    latencySum: integer("latency_sum").notNull(),
    latencyMin: integer("latency_min").notNull(),
    latencyMax: integer("latency_max").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.monitorId, t.grain, t.bucket] }),
    index("monitor_stats_grain_bucket").on(t.grain, t.bucket),
  ],
);

export const incidents = sqliteTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    monitorId: integer("monitor_id")
      .notNull()
      .references(() => monitors.id, { onDelete: "cascade" }),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
    message: text("message").notNull(),
    deploymentId: text("deployment_id"),
    buildId: text("build_id"),
    context: text("context"),
    /** Opened during a maintenance window: recorded, not alerted. */
    suppressed: integer("suppressed", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [index("incidents_monitor").on(t.monitorId, t.startedAt)],
);

export const maintenanceWindows = sqliteTable("maintenance_windows", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  monitorId: integer("monitor_id").references(() => monitors.id, { onDelete: "cascade" }),
  startsAt: integer("starts_at").notNull(),
  endsAt: integer("ends_at").notNull(),
  note: text("note").notNull().default(""),
});

/** Per-environment monitoring settings: the automatic monitor and public badges. */
export const environmentMonitoring = sqliteTable("environment_monitoring", {
  environmentId: integer("environment_id").primaryKey(),
  autoMonitor: integer("auto_monitor", { mode: "boolean" }).notNull().default(true),
  badgesPublic: integer("badges_public", { mode: "boolean" }).notNull().default(false),
  /** Encrypted token that opens private badges (`?token=`), shown to readers in the UI. */
  badgeToken: text("badge_token"),
});
