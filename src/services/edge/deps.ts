import type { Needs } from "../core/deps.ts";

/** What the edge touches: domains, DNS settings and providers, certificates, nginx vhosts. */
export type EdgeDeps = Needs<
  "db" | "layout" | "edge" | "baseDomain" | "logger" | "secrets" | "events",
  "services" | "environments" | "domains" | "settings"
>;
