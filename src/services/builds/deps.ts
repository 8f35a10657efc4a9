import type { Needs } from "../core/deps.ts";
import type { ReleasesDeps } from "../releases/deps.ts";

/** What builds touch: git sources, the durable queue, build logs, artifacts; a good build deploys through the release pipeline. */
export type BuildsDeps = Needs<
  "db" | "layout" | "logger" | "secrets" | "buildBus" | "workers",
  "services" | "environments" | "builds" | "tasks"
> &
  ReleasesDeps;
