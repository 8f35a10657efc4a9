import type { Context, Hono } from "hono";
import { can } from "../domain/auth/permissions.ts";
import { DomainError } from "../domain/errors.ts";
import { IN_FLIGHT, isRollbackCandidate, TERMINAL } from "../domain/releases/deployment.ts";
import type { Deployment, Environment, Service } from "../domain/releases/types.ts";
import type { Env, HttpDeps } from "./context.ts";
import { wantsFragment } from "./render.ts";

export type Ui = Hono<Env>;
export type FieldErrors = Record<string, string>;

/** A deployment as the templates see it: the row plus its links and what can be done with it. */
export function deploymentView(h: HttpDeps, service: string, env: Environment, d: Deployment) {
  const isLive = env.liveDeploymentId === d.id;
  return {
    ...d,
    href: `/deployments/${d.id}`,
    previewUrl: h.urls.preview(service, d.id),
    isLive,
    onDisk: !d.pruned && (d.status === "live" || d.status === "superseded"),
    inFlight: IN_FLIGHT.includes(d.status),
    terminal: TERMINAL.has(d.status),
    canRollback: !isLive && isRollbackCandidate(d),
    canRedeploy: d.pruned,
  };
}
export type DeploymentView = ReturnType<typeof deploymentView>;

/** An environment with its URL, live release and newest deployment. */
export function environmentView(h: HttpDeps, service: Service, env: Environment) {
  const { deployments } = h.deps.repos;
  const live = env.liveDeploymentId ? deployments.byId(env.liveDeploymentId) : undefined;
  const latest = deployments.listForEnvironment(env.id, 1)[0];
  const view = (d: Deployment | undefined) => d && deploymentView(h, service.name, env, d);
  return {
    ...env,
    service: service.name,
    href: `/services/${service.name}/environments/${env.name}`,
    url: h.urls.environment(service.name, env.name),
    live: view(live),
    // worth showing beside the live one only when it is something else (running or failed)
    latest: latest && latest.id !== live?.id ? view(latest) : undefined,
  };
}
export type EnvironmentView = ReturnType<typeof environmentView>;

/** What the viewer may do with one service, so the page offers only buttons that work. */
export function abilities(c: Context<Env>, service: string) {
  const p = c.get("principal");
  return {
    write: Boolean(p && can(p, "services.write", service)),
    deploy: Boolean(p && can(p, "deployments.create", service)),
    rollback: Boolean(p && can(p, "rollbacks.create", service)),
  };
}

/** Reads a urlencoded or multipart form; only text fields, trimmed. */
export async function readForm(c: Context<Env>): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => ({}));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string") out[key] = value.trim();
  }
  return out;
}

/**
 * Runs a change; a DomainError becomes messages keyed by field (`fallback` when the
 * error names none, "form" for the whole form) instead of an error page.
 */
export async function attempt<T>(
  change: () => T | Promise<T>,
  fieldOf: (err: DomainError) => string = (err) => err.field ?? "form",
): Promise<{ ok: true; value: T } | { ok: false; errors: FieldErrors; error: DomainError }> {
  try {
    return { ok: true, value: await change() };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { ok: false, errors: { [fieldOf(err)]: err.message }, error: err };
  }
}

/** After a change: htmx gets the fragment to swap, a plain form post a 303 to a page. */
export function afterChange(
  c: Context<Env>,
  redirectTo: string,
  fragment: () => Response,
): Response {
  if (wantsFragment(c)) return fragment();
  return c.redirect(redirectTo, 303);
}
