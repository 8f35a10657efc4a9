import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The current time in milliseconds, as SQLite computes it for a default. */
export const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

/** Key-value settings; a secret one holds only AES-256-GCM ciphertext. */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  secret: integer("secret", { mode: "boolean" }).notNull().default(false),
  updatedAt: integer("updated_at").notNull(),
});

/** The durable queue: a row is committed before it can run; workers hold a lease. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["build", "job", "notify"] }).notNull(),
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
