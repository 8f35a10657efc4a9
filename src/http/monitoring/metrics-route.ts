import type { Hono, MiddlewareHandler } from "hono";
import { can } from "../../domain/auth/permissions.ts";
import { unauthenticated } from "../../domain/errors.ts";
import type { Metrics } from "../../services/core/metrics.ts";
import type { Env, HttpDeps } from "../context.ts";

/** Counts API and UI requests by method and status code (sites are served before this). */
export function countRequests(metrics: Metrics): MiddlewareHandler<Env> {
  return async (c, next) => {
    try {
      await next();
      metrics.request(c.req.method, c.res.status);
    } catch (err) {
      metrics.request(c.req.method, (err as { status?: number }).status ?? 500);
      throw err;
    }
  };
}

/**
 * `/metrics` in the Prometheus text format: for an API key or user holding `metrics.read`
 * (a `metrics`-scope key), or the configured bearer token (BERTH_METRICS_TOKEN).
 */
export function metricsRoute(app: Hono<Env>, h: HttpDeps): void {
  const { metrics } = h.deps;
  app.get("/metrics", async (c) => {
    const p = c.get("principal");
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (!(p && can(p, "metrics.read")) && !metrics.tokenMatches(bearer))
      throw unauthenticated(
        "Send an API key with the metrics scope or the configured metrics token.",
      );
    c.header("Content-Type", metrics.contentType);
    return c.body(await metrics.text());
  });
}
