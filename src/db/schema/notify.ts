import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { CHANNEL_KINDS, DELIVERY_STATUSES, NOTIFY_EVENTS } from "../../domain/notify/notify.ts";

/** A destination. `secret` is AES-GCM ciphertext (services/secrets) of its URL/password. */
export const notifyChannels = sqliteTable("notify_channels", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  kind: text("kind", { enum: CHANNEL_KINDS }).notNull(),
  /** Plain settings shown back (email addresses, SMTP host, the URL's host). */
  config: text("config", { mode: "json" })
    .$type<Record<string, string | number | boolean>>()
    .notNull(),
  secret: text("secret").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Which event goes to which channel, optionally for one service only. */
export const notifyRules = sqliteTable(
  "notify_rules",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => notifyChannels.id, { onDelete: "cascade" }),
    event: text("event", { enum: NOTIFY_EVENTS }).notNull(),
    /** A service name; null means every service. */
    service: text("service"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("notify_rules_event").on(t.event)],
);

export const notifyDeliveries = sqliteTable(
  "notify_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => notifyChannels.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    payload: text("payload", { mode: "json" }).notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    sentAt: integer("sent_at"),
  },
  (t) => [index("notify_deliveries_channel").on(t.channelId, t.id)],
);
