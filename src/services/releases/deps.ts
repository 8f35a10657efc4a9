import type { Needs } from "../core/deps.ts";
import type { EdgeDeps } from "../edge/deps.ts";

/**
 * What the release pipeline touches: the catalog, deployments, bundles and releases on
 * disk, the per-environment queue, health checks. A new or deleted environment changes
 * the edge too, and a container service's cluster objects.
 */
export type ReleasesDeps = Needs<
  "db" | "layout" | "limits" | "defaultRetention" | "logBus" | "queue" | "logger" | "probe",
  "services" | "environments" | "deployments" | "builds" | "containers"
> &
  EdgeDeps;
