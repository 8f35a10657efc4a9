import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { can } from "../../domain/auth/permissions.ts";
import { forbidden } from "../../domain/errors.ts";
import {
  createMonitor,
  deleteMonitor,
  getMonitor,
  monitorDetail,
  monitorService,
  setPaused,
  updateMonitor,
} from "../../services/monitoring/monitors.ts";
import { uptimes } from "../../services/monitoring/stats.ts";
import type { Api, Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { errors, json } from "../schemas.ts";
import { seesMonitor } from "./incidents-api.ts";
import { presentCheck, presentMonitor } from "./present.ts";
import {
  CheckSchema,
  MonitorBody,
  MonitorPatchBody,
  MonitorSchema,
  NumId,
  unprocessableHook,
} from "./schemas.ts";

/** The service that decides access to a monitor: "" (global: unlimited principals only). */
export const monitorParam = (h: HttpDeps) => (c: Context) =>
  monitorService(h.deps, Number(c.req.param("id")));

export function monitorsApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  const ofMonitor = monitorParam(h);
  const mayWrite = (c: Context<Env>, service: string | null | undefined) => {
    const p = c.get("principal");
    if (!p || !can(p, "monitors.write", service ?? "")) throw forbidden();
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/monitors",
      middleware: [guard("monitors.read")] as const,
      tags: ["monitors"],
      summary: "Monitors the caller may see, with status and uptime",
      responses: { 200: json(z.object({ items: z.array(MonitorSchema) }), "Monitors") },
    }),
    (c) => {
      const p = c.get("principal");
      const rows = deps.monitoring.repos.monitors
        .list()
        .filter((m) => p && seesMonitor(p, m.service));
      const up = uptimes(deps.monitoring.repos, deps.monitoring.clock.now());
      const live = new Map(deps.monitoring.scheduler.states().map((s) => [s.id, s.status]));
      return c.json({
        items: rows.map((m) => ({
          ...presentMonitor({ ...m, status: (live.get(m.id) as typeof m.status) ?? m.status }),
          uptime: up.get(m.id) ?? { h24: null, d7: null, d30: null },
        })),
      });
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/monitors",
      middleware: [guard("monitors.write")] as const,
      tags: ["monitors"],
      summary: "Create a monitor (HTTP, TCP, push or test route)",
      description:
        "A push monitor's answer carries its secret `pushUrl` once; it is stored hashed.",
      request: {
        body: { content: { "application/json": { schema: MonitorBody } }, required: true },
      },
      responses: { 201: json(MonitorSchema, "Created"), ...errors(403, 404, 413, 422) },
    }),
    (c) => {
      const body = c.req.valid("json");
      mayWrite(c, body.service);
      const { monitor, pushToken } = createMonitor(deps, body);
      c.header("Location", `/api/v1/monitors/${monitor.id}`);
      return c.json(
        {
          ...presentMonitor(monitor),
          ...(pushToken ? { pushUrl: `${h.publicUrl}/push/${pushToken}` } : {}),
        },
        201,
      );
    },
    unprocessableHook,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/monitors/{id}",
      middleware: [guard("monitors.read", ofMonitor)] as const,
      tags: ["monitors"],
      summary: "A monitor's status, uptime over 24 h / 7 d / 30 d, and response-time p50 and p95",
      request: { params: NumId },
      responses: { 200: json(MonitorSchema, "The monitor"), ...errors(403, 404) },
    }),
    (c) => {
      const d = monitorDetail(deps, c.req.valid("param").id);
      return c.json({
        ...presentMonitor(d.monitor),
        uptime: d.uptime,
        p50Ms: d.p50Ms,
        p95Ms: d.p95Ms,
      });
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/monitors/{id}",
      middleware: [guard("monitors.write", ofMonitor)] as const,
      tags: ["monitors"],
      summary: "Change a monitor",
      request: {
        params: NumId,
        body: { content: { "application/json": { schema: MonitorPatchBody } }, required: true },
      },
      responses: { 200: json(MonitorSchema, "The monitor"), ...errors(403, 404, 409, 413, 422) },
    }),
    (c) => {
      const body = c.req.valid("json");
      if (body.service !== undefined) mayWrite(c, body.service);
      return c.json(presentMonitor(updateMonitor(deps, c.req.valid("param").id, body)));
    },
    unprocessableHook,
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/monitors/{id}",
      middleware: [guard("monitors.write", ofMonitor)] as const,
      tags: ["monitors"],
      summary: "Delete a monitor and its history",
      request: { params: NumId },
      responses: { 204: { description: "Deleted" }, ...errors(403, 404, 409) },
    }),
    (c) => {
      deleteMonitor(deps, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  for (const action of ["pause", "resume"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/monitors/{id}/${action}`,
        middleware: [guard("monitors.write", ofMonitor)] as const,
        tags: ["monitors"],
        summary: action === "pause" ? "Stop checking a monitor" : "Check a paused monitor again",
        request: { params: NumId },
        responses: { 200: json(MonitorSchema, "The monitor"), ...errors(403, 404) },
      }),
      (c) => c.json(presentMonitor(setPaused(deps, c.req.valid("param").id, action === "pause"))),
    );
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/monitors/{id}/checks",
      middleware: [guard("monitors.read", ofMonitor)] as const,
      tags: ["monitors"],
      summary: "Raw check results of the last 24 hours, newest first",
      request: {
        params: NumId,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(1000).optional(),
          before: z.iso.datetime().optional(),
        }),
      },
      responses: {
        200: json(z.object({ items: z.array(CheckSchema) }), "Checks"),
        ...errors(403, 404),
      },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const q = c.req.valid("query");
      getMonitor(deps, id);
      const rows = deps.monitoring.repos.checks.recent(
        id,
        q.limit ?? 100,
        q.before ? Date.parse(q.before) : undefined,
      );
      return c.json({ items: rows.map(presentCheck) });
    },
  );
}
