import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  BUNDLE_FORMATS,
  DEPLOYMENT_SOURCES,
  DEPLOYMENT_STATUSES,
  LOG_LEVELS,
  SERVICE_KINDS,
} from "../domain/deployment.ts";
import { ROLES, SCOPES } from "../domain/permissions.ts";

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

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

export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  email: text("email").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role", { enum: ROLES }).notNull(),
  /** JSON array of service names the user is limited to; null means all. */
  services: text("services", { mode: "json" }).$type<string[] | null>(),
  disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull().default(now),
});

/** Sessions as the Lucia guide teaches: the id is the SHA-256 of the cookie's token. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    ip: text("ip"),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull().unique(),
    scope: text("scope", { enum: SCOPES }).notNull(),
    service: text("service"),
    expiresAt: integer("expires_at"),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [index("api_keys_user").on(t.userId)],
);

/** Append-only: no route updates or deletes a row. */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    actorKind: text("actor_kind", { enum: ["user", "key", "system", "anonymous"] }).notNull(),
    actorId: integer("actor_id"),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    result: text("result", { enum: ["ok", "denied", "failed"] }).notNull(),
    status: integer("status"),
    ip: text("ip"),
  },
  (t) => [index("audit_events_at").on(t.at), index("audit_events_action").on(t.action)],
);

export const loginFailures = sqliteTable(
  "login_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    email: text("email").notNull(),
    ip: text("ip").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [
    index("login_failures_email").on(t.email, t.at),
    index("login_failures_ip").on(t.ip, t.at),
  ],
);

export const domains = sqliteTable(
  "domains",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    environmentId: integer("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    hostname: text("hostname").notNull().unique(),
    /** Also answer on www.<hostname> with a redirect to the bare name. */
    wwwRedirect: integer("www_redirect", { mode: "boolean" }).notNull().default(false),
    dnsStatus: text("dns_status", { enum: ["none", "pending", "ok", "error"] })
      .notNull()
      .default("pending"),
    dnsMessage: text("dns_message"),
    certStatus: text("cert_status", { enum: ["none", "pending", "issued", "error"] })
      .notNull()
      .default("none"),
    certExpiresAt: integer("cert_expires_at"),
    certMessage: text("cert_message"),
    certFailures: integer("cert_failures").notNull().default(0),
    certNextAttemptAt: integer("cert_next_attempt_at"),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [index("domains_environment").on(t.environmentId)],
);

/** Key-value settings; a secret one holds only AES-256-GCM ciphertext. */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  secret: integer("secret", { mode: "boolean" }).notNull().default(false),
  updatedAt: integer("updated_at").notNull(),
});

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

/** The durable queue: a row is committed before it can run; workers hold a lease. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["build", "notify"] }).notNull(),
    subjectId: text("subject_id").notNull(),
    status: text("status", {
      enum: ["queued", "running", "done", "failed", "cancelled", "interrupted"],
    }).notNull(),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: integer("lease_expires_at"),
    /** Not claimed before this time (a retry's backoff); null means at once. */
    runAfter: integer("run_after"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("tasks_status").on(t.status, t.id)],
);

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

// monitoring and notifications (issue 14)
export * from "./schema/monitoring.ts";
export * from "./schema/notify.ts";
