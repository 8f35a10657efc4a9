import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ROLES, SCOPES } from "../../domain/auth/permissions.ts";
import { now } from "./core.ts";

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
    /** The resource the action touched: "service site", "site/production". */
    target: text("target"),
    /** The request as it came: method and path. */
    request: text("request"),
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
