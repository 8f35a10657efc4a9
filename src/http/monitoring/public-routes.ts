import type { Context, Hono } from "hono";
import { can } from "../../domain/auth/permissions.ts";
import { unauthenticated } from "../../domain/errors.ts";
import { badgeOpen, envStatus, monitorUptime } from "../../services/monitoring/badges.ts";
import { receivePush } from "../../services/monitoring/monitors.ts";
import type { Env, HttpDeps } from "../context.ts";
import { errorBody } from "../errors.ts";
import { badgeSvg } from "./badge-svg.ts";

const STATUS_COLOR = { live: "green", failed: "red", deploying: "amber", none: "grey" } as const;

const svg = (c: Context, body: string) => {
  c.header("Content-Type", "image/svg+xml; charset=utf-8");
  c.header("Cache-Control", "no-cache, max-age=0");
  return c.body(body);
};

/**
 * Paths named public in middleware/access.ts: the push URL (its token is the secret) and
 * badges (public per environment setting, otherwise a signed-in reader, an API key or the
 * environment's badge token decides, through can()).
 */
export function monitoringPublicRoutes(app: Hono<Env>, h: HttpDeps): void {
  const { deps } = h;
  const push = (c: Context<Env>) => {
    const token = c.req.param("token") ?? "";
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(token) || !receivePush(deps, token))
      return c.json(errorBody("push_not_found", "No active push monitor has that URL."), 404);
    return c.json({ ok: true });
  };
  app.get("/push/:token", push);
  app.post("/push/:token", push);

  const allowed = (
    c: Context<Env>,
    service: string | null,
    environmentId: number | null,
    perm: "services.read" | "monitors.read",
  ) => {
    const p = c.get("principal");
    if (p && can(p, perm, service ?? "")) return true;
    return environmentId !== null && badgeOpen(deps, environmentId, c.req.query("token"));
  };

  app.get("/badges/:service/:env/status.svg", (c) => {
    const service = c.req.param("service");
    const st = envStatus(deps, service, c.req.param("env"));
    if (!allowed(c, service, st.environmentId, "services.read"))
      throw unauthenticated("This badge is not public.");
    return svg(
      c,
      badgeSvg(c.req.param("env"), st.status, STATUS_COLOR[st.status as keyof typeof STATUS_COLOR]),
    );
  });

  app.get("/badges/monitors/:id/uptime.svg", (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isInteger(id) || id <= 0)
      return c.json(errorBody("monitor_not_found", "No such monitor."), 404);
    const { monitor, uptime24h } = monitorUptime(deps, id);
    if (!allowed(c, monitor.service, monitor.environmentId, "monitors.read"))
      throw unauthenticated("This badge is not public.");
    const value =
      uptime24h === null ? "no data" : `${uptime24h.toFixed(uptime24h === 100 ? 0 : 2)}%`;
    const color =
      uptime24h === null ? "grey" : uptime24h >= 99 ? "green" : uptime24h >= 95 ? "amber" : "red";
    return svg(c, badgeSvg("uptime 24h", value, color));
  });
}
