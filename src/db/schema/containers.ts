import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ContainerSpec } from "../../domain/containers/containers.ts";
import { deployments, environments } from "./releases.ts";

/** The container spec of one environment; secret values only as ciphertext. */
export const containerSpecs = sqliteTable("container_specs", {
  environmentId: integer("environment_id")
    .primaryKey()
    .references(() => environments.id, { onDelete: "cascade" }),
  spec: text("spec", { mode: "json" }).$type<ContainerSpec>().notNull(),
  /** Encrypted JSON object of secret env values; null when there are none. */
  secretEnv: text("secret_env"),
  /** Names only, for showing; bumped version on every change of the values. */
  secretNames: text("secret_names", { mode: "json" }).$type<string[]>().notNull(),
  secretVersion: integer("secret_version").notNull().default(0),
  /** Encrypted JSON {server, username, password}; null without a private registry. */
  registry: text("registry"),
  /** Replicas to come back to after a stop; null while running. */
  stoppedReplicas: integer("stopped_replicas"),
  updatedAt: integer("updated_at").notNull(),
});

/** The immutable snapshot a container deployment applied, and how its rollout went. */
export const containerDeployments = sqliteTable(
  "container_deployments",
  {
    deploymentId: text("deployment_id")
      .primaryKey()
      .references(() => deployments.id, { onDelete: "cascade" }),
    environmentId: integer("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    spec: text("spec", { mode: "json" }).$type<ContainerSpec>().notNull(),
    secretEnv: text("secret_env"),
    secretNames: text("secret_names", { mode: "json" }).$type<string[]>().notNull(),
    secretVersion: integer("secret_version").notNull(),
    registry: text("registry"),
    /** The digest that ran (from the pods' imageID), for rollbacks pinned to it. */
    imageDigest: text("image_digest"),
    /** The deployment whose snapshot this one re-applies (rollback, recovery). */
    restores: text("restores"),
  },
  (t) => [index("container_deployments_env").on(t.environmentId)],
);
