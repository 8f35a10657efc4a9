import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { auditActionOf } from "../../domain/auth/audit.ts";
import { allows, type Policy } from "../../domain/auth/permissions.ts";
import { forbidden, unauthenticated } from "../../domain/errors.ts";
import { audit } from "../../services/auth/audit.ts";
import type { Deps } from "../../services/core/deps.ts";
import type { AuthVars } from "./auth.ts";

/** What a handler may tell the audit trail: the resource it touched, a more exact action. */
export type AuditVars = { audited?: string; auditAction?: string };

type Vars = { Variables: AuthVars & AuditVars };

/** The resource a request names by its path: "site", "site/production", "site/production/shop.example.com", or an id. */
function resourceOf(c: Context): string | null {
  const p = c.req.param() as Record<string, string | undefined>;
  const named = [p.service, p.env, p.hostname].filter(Boolean).join("/");
  if (named) return named;
  return p.id ?? null;
}

/** Paths anyone may reach. Everything else needs a signed-in user or an API key. */
export function isPublic(path: string): boolean {
  return (
    path === "/healthz" ||
    path === "/login" ||
    path === "/logout" ||
    path === "/setup" ||
    path.startsWith("/assets/") ||
    // deploy hooks authenticate each delivery by the service's webhook secret
    path.startsWith("/hooks/") ||
    // Sentry SDKs authenticate each event by the service's DSN key
    /^\/api\/\d+\/(envelope|store)\/$/.test(path) ||
    // monitoring: a push URL's token is its secret; badges decide per
    // environment (public, badge token, or can()); /metrics checks its own bearer or key
    path.startsWith("/push/") ||
    path.startsWith("/badges/") ||
    path === "/metrics"
  );
}

/** Who a deploy hook's request comes from, for the audit trail: "github" or "gitlab". */
const hookActor = (path: string) => /^\/hooks\/(github|gitlab)\//.exec(path)?.[1];

// a page load signs in first; an htmx request is told where to go by the error handler
const wantsHtml = (c: Context) =>
  (c.req.path === "/api/docs" || !c.req.path.startsWith("/api/")) &&
  c.req.method === "GET" &&
  c.req.header("hx-request") !== "true";

/** Default deny: a route added later is protected unless it is named public above. */
export function requireSignIn(): MiddlewareHandler<Vars> {
  return async (c, next) => {
    if (isPublic(c.req.path) || c.get("principal")) return next();
    if (wantsHtml(c)) {
      const next_ = c.req.path === "/" ? "" : `?next=${encodeURIComponent(c.req.path)}`;
      return c.redirect(`/login${next_}`, 302);
    }
    throw unauthenticated();
  };
}

/**
 * A state-changing request signed in by cookie must come from Berth's own pages:
 * Sec-Fetch-Site same-origin, or (older browsers) an Origin equal to Berth's own.
 * API keys are not sent by browsers on their own, so they are exempt.
 */
export function csrfGuard(publicOrigin: string): MiddlewareHandler<Vars> {
  const safe = new Set(["GET", "HEAD", "OPTIONS"]);
  return async (c, next) => {
    const principal = c.get("principal");
    if (safe.has(c.req.method) || principal?.kind === "key") return next();
    if (!principal && !c.req.header("cookie")) return next();
    const site = c.req.header("sec-fetch-site");
    const origin = c.req.header("origin");
    const own = new URL(c.req.url).origin;
    const ok = site ? site === "same-origin" : origin === publicOrigin || origin === own;
    if (!ok) throw forbidden("Cross-site request refused: send it from Berth's own pages.");
    return next();
  };
}

/** What a guard demands; the route inventory test reads it off every route's handlers. */
export type GuardInfo = {
  policy: Policy;
  perService: boolean;
  /** How the route names its service (for the inventory test to ask, as the guard does). */
  serviceOf?: (c: Context) => string | undefined;
};

/**
 * The route handler's guard: 401 without a principal, 403 unless `allows` grants the
 * policy (for the route's service when `serviceOf` names one). Every non-public route has one.
 */
export function guard(
  policy: Policy,
  serviceOf?: (c: Context) => string | undefined,
): MiddlewareHandler<Vars> & { guard: GuardInfo } {
  const check: MiddlewareHandler<Vars> = async (c, next) => {
    const principal = c.get("principal");
    if (!principal) throw unauthenticated();
    if (!allows(principal, policy, serviceOf?.(c))) throw forbidden();
    return next();
  };
  return Object.assign(check, {
    guard: { policy, perService: serviceOf !== undefined, serviceOf },
  });
}

export const serviceParam = (c: Context) => c.req.param("service");

/** Appends every state-changing request, whatever its outcome, to the audit trail. */
export function auditTrail(deps: Deps): MiddlewareHandler<Vars> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS")
      return next();
    // sign-in and setup record themselves: they know who tried, which the trail does not
    if (c.req.path === "/login" || c.req.path === "/setup") return next();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } catch (err) {
      status = (err as { status?: number }).status ?? 500;
      throw err;
    } finally {
      const route = routePath(c, -1);
      // a delivery to a hook of no service is noise from outside: answered, not recorded
      if (!(status === 404 && c.req.path.startsWith("/hooks/"))) {
        audit(deps, {
          principal: c.get("principal"),
          action: c.get("auditAction") ?? auditActionOf(c.req.method, route),
          target: c.get("audited") ?? resourceOf(c),
          request: `${c.req.method} ${c.req.path}`,
          status,
          ip: c.get("ip"),
          actorHint: hookActor(c.req.path),
        });
      }
    }
  };
}
