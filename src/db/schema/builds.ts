import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { LOG_LEVELS } from "../../domain/releases/deployment.ts";
import { services } from "./releases.ts";

/** Where a service's source comes from, and how to build it. One per service. */
export const gitSources = sqliteTable("git_sources", {
  serviceId: integer("service_id")
    .primaryKey()
    .references(() => services.id, { onDelete: "cascade" }),
  repoUrl: text("repo_url").notNull(),
  authKind: text("auth_kind", { enum: ["none", "token", "ssh_key"] })
    .notNull()
    .default("none"),
  /** The token or private key, encrypted; null with authKind none. */
  credential: text("credential"),
  /** JSON array of command lines run in order. */
  commands: text("commands", { mode: "json" }).$type<string[]>().notNull(),
  outputDir: text("output_dir").notNull().default("dist"),
  /** JSON object: branch name → environment name. */
  branches: text("branches", { mode: "json" }).$type<Record<string, string>>().notNull(),
  /** JSON array of { name, value, secret }; a secret value is encrypted. */
  variables: text("variables", { mode: "json" })
    .$type<{ name: string; value: string; secret: boolean }[]>()
    .notNull(),
  timeoutSeconds: integer("timeout_seconds").notNull().default(900),
  /** The webhook secret, encrypted (HMAC needs it in the clear). */
  webhookSecret: text("webhook_secret").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const builds = sqliteTable(
  "builds",
  {
    id: text("id").primaryKey(),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    status: text("status", {
      enum: ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"],
    }).notNull(),
    trigger: text("trigger", { enum: ["manual", "api", "github", "gitlab"] }).notNull(),
    triggeredBy: text("triggered_by").notNull(),
    ref: text("ref").notNull(),
    environment: text("environment"),
    commitSha: text("commit_sha"),
    commitMessage: text("commit_message"),
    failedCommand: text("failed_command"),
    exitCode: integer("exit_code"),
    errorMessage: text("error_message"),
    artifactId: text("artifact_id"),
    deploymentId: text("deployment_id"),
    cancelRequested: integer("cancel_requested", { mode: "boolean" }).notNull().default(false),
    /** Process group of the command running now, so a restart can stop what a crash left. */
    pgid: integer("pgid"),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("builds_service").on(t.serviceId, t.id)],
);

export const buildLogs = sqliteTable(
  "build_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    buildId: text("build_id")
      .notNull()
      .references(() => builds.id, { onDelete: "cascade" }),
    at: integer("at").notNull(),
    stream: text("stream", { enum: ["stdout", "stderr", "system"] }).notNull(),
    level: text("level", { enum: LOG_LEVELS }).notNull().default("info"),
    message: text("message").notNull(),
  },
  (t) => [index("build_logs_build").on(t.buildId, t.id)],
);

/** A build's output, zipped and content-addressed; `<service>-<UTC timestamp>`. */
export const artifacts = sqliteTable(
  "artifacts",
  {
    id: text("id").primaryKey(),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    buildId: text("build_id"),
    commitSha: text("commit_sha"),
    bundleSha256: text("bundle_sha256").notNull(),
    bundleBytes: integer("bundle_bytes").notNull(),
    fileCount: integer("file_count").notNull(),
    good: integer("good", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("artifacts_service").on(t.serviceId, t.createdAt)],
);

/** Webhook deliveries already taken, so a retried delivery queues nothing twice. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    provider: text("provider", { enum: ["github", "gitlab"] }).notNull(),
    deliveryId: text("delivery_id").notNull(),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    receivedAt: integer("received_at").notNull(),
    outcome: text("outcome").notNull(),
  },
  (t) => [uniqueIndex("webhook_deliveries_unique").on(t.provider, t.deliveryId)],
);
