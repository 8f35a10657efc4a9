import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { GROUP_STATUSES, REPORT_LEVELS } from "../../domain/reports/reports.ts";
import { services } from "./releases.ts";

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

/** A service's reporting key: its DSN is http(s)://<publicKey>@<berth>/<serviceId>. */
export const reportKeys = sqliteTable("report_keys", {
  serviceId: integer("service_id")
    .primaryKey()
    .references(() => services.id, { onDelete: "cascade" }),
  /** Public by design (browser SDKs embed it); it only lets a client send events. */
  publicKey: text("public_key").notNull().unique(),
  createdAt: integer("created_at").notNull().default(now),
});

export const errorGroups = sqliteTable(
  "error_groups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    /** SHA-256 of the grouping components (docs/ERRORS.md). */
    key: text("key").notNull(),
    title: text("title").notNull(),
    culprit: text("culprit").notNull(),
    level: text("level", { enum: REPORT_LEVELS }).notNull(),
    status: text("status", { enum: GROUP_STATUSES }).notNull().default("unresolved"),
    regressed: integer("regressed", { mode: "boolean" }).notNull().default(false),
    count: integer("count").notNull().default(0),
    users: integer("users").notNull().default(0),
    /** JSON array of environment names seen. */
    environments: text("environments", { mode: "json" }).$type<string[]>().notNull(),
    firstRelease: text("first_release"),
    lastRelease: text("last_release"),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    resolvedAt: integer("resolved_at"),
  },
  (t) => [
    uniqueIndex("error_groups_key").on(t.serviceId, t.key),
    index("error_groups_service_seen").on(t.serviceId, t.lastSeen),
  ],
);

export const errorEvents = sqliteTable(
  "error_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    serviceId: integer("service_id").notNull(),
    groupId: integer("group_id")
      .notNull()
      .references(() => errorGroups.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    receivedAt: integer("received_at").notNull(),
    timestamp: integer("timestamp").notNull(),
    level: text("level", { enum: REPORT_LEVELS }).notNull(),
    message: text("message").notNull(),
    release: text("release"),
    environment: text("environment"),
    /** The parsed event (exception chain, tags, user, url, sdk) as JSON. */
    data: text("data").notNull(),
  },
  (t) => [
    uniqueIndex("error_events_event_id").on(t.serviceId, t.eventId),
    index("error_events_group").on(t.groupId, t.id),
    index("error_events_received").on(t.receivedAt),
  ],
);

/** Distinct users per group (hashed), for "users affected". */
export const errorGroupUsers = sqliteTable(
  "error_group_users",
  {
    groupId: integer("group_id")
      .notNull()
      .references(() => errorGroups.id, { onDelete: "cascade" }),
    user: text("user").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.user] })],
);

/** Events per group per hour, for sparklines; kept after the events themselves expire. */
export const errorGroupHours = sqliteTable(
  "error_group_hours",
  {
    groupId: integer("group_id")
      .notNull()
      .references(() => errorGroups.id, { onDelete: "cascade" }),
    hour: integer("hour").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.hour] })],
);
