import type { Context } from "hono";
import { can, type Principal } from "../../domain/auth/permissions.ts";
import type { Env } from "../context.ts";

/** What the viewer may do with jobs, so pages offer only buttons that work. */
export function jobAbilities(c: Context<Env>) {
  const p = c.get("principal") as Principal | undefined;
  return {
    run: Boolean(p && can(p, "jobs.run")),
    write: Boolean(p && can(p, "jobs.write")),
    templates: Boolean(p && can(p, "templates.write")),
  };
}
