import type { Needs } from "../core/deps.ts";
import type { ReleasesDeps } from "../releases/deps.ts";

/**
 * What containers touch: the cluster settings and per-environment specs (secrets
 * encrypted), the environment's domains for its Ingress; a container deployment is a
 * release, so it goes through the release pipeline's rows, log and rollback.
 */
export type ContainersDeps = Needs<
  "db" | "logger" | "secrets" | "logBus" | "baseDomain",
  "containers" | "deployments" | "environments" | "services" | "domains" | "settings"
> &
  ReleasesDeps;
