import type { Needs } from "../core/deps.ts";

/** What accounts touch: users, sessions, API keys, the audit trail. */
export type AuthDeps = Needs<
  "db" | "logger" | "secrets",
  "users" | "audit" | "settings" | "services"
>;
