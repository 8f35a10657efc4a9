import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { now } from "./core.ts";
import { environments } from "./releases.ts";

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

/**
 * The DNS names whose A/AAAA/CNAME records Berth created: the only records it ever
 * changes or deletes. A name with records Berth did not make is someone else's until an
 * owner or admin takes it over explicitly.
 */
export const dnsRecords = sqliteTable("dns_records", {
  hostname: text("hostname").primaryKey(),
  createdAt: integer("created_at").notNull().default(now),
});
