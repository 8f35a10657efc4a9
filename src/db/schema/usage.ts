import { integer, primaryKey, sqliteTable } from "drizzle-orm/sqlite-core";
import { environments } from "./releases.ts";

/** Requests and bytes served per environment per hour (embedded serving or nginx's log). */
export const siteTraffic = sqliteTable(
  "site_traffic",
  {
    environmentId: integer("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    hour: integer("hour").notNull(),
    requests: integer("requests").notNull(),
    bytes: integer("bytes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.hour] })],
);
