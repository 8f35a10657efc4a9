import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  BUNDLE_FORMATS,
  DEPLOYMENT_SOURCES,
  DEPLOYMENT_STATUSES,
  LOG_LEVELS,
  SERVICE_KINDS,
} from "../../domain/releases/deployment.ts";
import { now } from "./core.ts";

export const services = sqliteTable("services", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  kind: text("kind", { enum: SERVICE_KINDS }).notNull().default("static"),
  createdAt: integer("created_at").notNull().default(now),
});

export const environments = sqliteTable(
  "environments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    retention: integer("retention").notNull().default(10),
    spaFallback: integer("spa_fallback", { mode: "boolean" }).notNull().default(false),
    liveDeploymentId: text("live_deployment_id"),
    /** Bumped on every vhost written for this environment; nginx echoes it back. */
    vhostGeneration: integer("vhost_generation").notNull().default(0),
    /** Health check run after activation; null path means none. */
    healthPath: text("health_path"),
    healthStatus: integer("health_status").notNull().default(200),
    healthKeyword: text("health_keyword"),
    healthTimeoutMs: integer("health_timeout_ms").notNull().default(5000),
    healthRetries: integer("health_retries").notNull().default(3),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("environments_service_name").on(t.serviceId, t.name)],
);

export const deployments = sqliteTable(
  "deployments",
  {
    id: text("id").primaryKey(),
    environmentId: integer("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    status: text("status", { enum: DEPLOYMENT_STATUSES }).notNull(),
    source: text("source", { enum: DEPLOYMENT_SOURCES }).notNull().default("upload"),
    /** The build artifact deployed, for deployments made from builds. */
    artifactId: text("artifact_id"),
    redeployOf: text("redeploy_of"),
    bundleSha256: text("bundle_sha256").notNull(),
    bundleFormat: text("bundle_format", { enum: BUNDLE_FORMATS }).notNull(),
    bundleBytes: integer("bundle_bytes").notNull(),
    message: text("message"),
    commit: text("commit"),
    /** Serve this folder of the bundle as the site's root (a zip of a folder, not its contents). */
    stripFolder: integer("strip_folder", { mode: "boolean" }).notNull().default(false),
    fileCount: integer("file_count"),
    totalBytes: integer("total_bytes"),
    failedStage: text("failed_stage"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    pruned: integer("pruned", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull().default(now),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    activatedAt: integer("activated_at"),
  },
  (t) => [
    index("deployments_env_created").on(t.environmentId, t.id),
    index("deployments_status").on(t.status),
  ],
);

export const deploymentLogs = sqliteTable(
  "deployment_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deploymentId: text("deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    at: integer("at").notNull(),
    step: text("step").notNull(),
    level: text("level", { enum: LOG_LEVELS }).notNull().default("info"),
    message: text("message").notNull(),
  },
  (t) => [index("deployment_logs_deployment").on(t.deploymentId, t.id)],
);

/** What happened to an environment: deploys, rollbacks, settings. Appended only. */
export const environmentEvents = sqliteTable(
  "environment_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    environmentId: integer("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    at: integer("at").notNull(),
    action: text("action").notNull(),
    deploymentId: text("deployment_id"),
    message: text("message").notNull(),
  },
  (t) => [index("environment_events_env").on(t.environmentId, t.id)],
);
