import type { Needs } from "../core/deps.ts";
import type { ReleasesDeps } from "../releases/deps.ts";

/**
 * What builds touch: git sources, the durable queue, the sandbox their commands run in,
 * build logs, artifacts; a good build deploys through the release pipeline.
 */
export type BuildsDeps = Needs<
  "db" | "layout" | "logger" | "secrets" | "buildBus" | "workers" | "sandbox",
  "services" | "environments" | "builds" | "tasks"
> &
  ReleasesDeps;
