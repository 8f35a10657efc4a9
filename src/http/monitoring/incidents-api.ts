import { createRoute, z } from "@hono/zod-openapi";
import { can, canSeeService, type Principal } from "../../domain/auth/permissions.ts";
import { forbidden } from "../../domain/errors.ts";
import { addWindow, deleteWindow, monitorService } from "../../services/monitoring/monitors.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { errors, json } from "../schemas.ts";
import { presentIncident } from "./present.ts";
import { IncidentSchema, NumId, unprocessableHook, WindowBody } from "./schemas.ts";

const WindowSchema = z
  .object({
    id: z.number(),
    monitorId: z.number().nullable(),
    startsAt: z.string(),
    endsAt: z.string(),
    note: z.string(),
  })
  .openapi("MaintenanceWindow");

const presentWindow = (w: {
  id: number;
  monitorId: number | null;
  startsAt: number;
  endsAt: number;
  note: string;
}) => ({
  ...w,
  startsAt: new Date(w.startsAt).toISOString(),
  endsAt: new Date(w.endsAt).toISOString(),
});

/** Whether a principal sees a monitor bound to `service` (null: a global one). */
export const seesMonitor = (p: Principal, service: string | null) =>
  service === null ? p.services === null && !p.keyService : canSeeService(p, service);

export function incidentsApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  app.openapi(
    createRoute({
      method: "get",
      path: "/incidents",
      middleware: [guard("monitors.read")] as const,
      tags: ["monitors"],
      summary: "Down periods, newest first, with the deployments and builds around them",
      request: {
        query: z.object({
          monitorId: z.coerce.number().int().positive().optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(IncidentSchema) }), "Incidents") },
    }),
    (c) => {
      const p = c.get("principal") as Principal;
      const q = c.req.valid("query");
      const visible = deps.monitoring.repos.monitors
        .list()
        .filter((m) => seesMonitor(p, m.service) && (!q.monitorId || m.id === q.monitorId))
        .map((m) => m.id);
      const rows = deps.monitoring.repos.incidents.list({
        monitorIds: visible,
        limit: q.limit ?? 100,
      });
      return c.json({ items: rows.map(presentIncident) });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/maintenance-windows",
      middleware: [guard("monitors.read")] as const,
      tags: ["monitors"],
      summary: "Maintenance windows: alerts are suppressed inside them",
      responses: { 200: json(z.object({ items: z.array(WindowSchema) }), "Windows") },
    }),
    (c) => c.json({ items: deps.monitoring.repos.incidents.windows().map(presentWindow) }),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/maintenance-windows",
      middleware: [guard("monitors.write")] as const,
      tags: ["monitors"],
      summary: "Suppress alerts of one monitor (or all, without monitorId) for a while",
      request: {
        body: { content: { "application/json": { schema: WindowBody } }, required: true },
      },
      responses: { 201: json(WindowSchema, "Created"), ...errors(403, 404, 422) },
    }),
    (c) => {
      const b = c.req.valid("json");
      const p = c.get("principal") as Principal;
      const service = b.monitorId ? monitorService(deps, b.monitorId) : "";
      if (!can(p, "monitors.write", service)) throw forbidden();
      const w = addWindow(deps, {
        monitorId: b.monitorId ?? null,
        startsAt: Date.parse(b.startsAt),
        endsAt: Date.parse(b.endsAt),
        note: b.note ?? "",
      });
      return c.json(presentWindow(w), 201);
    },
    unprocessableHook,
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/maintenance-windows/{id}",
      // a window may cover every monitor: removing one is for unlimited writers
      middleware: [guard("monitors.write", () => "")] as const,
      tags: ["monitors"],
      summary: "End a maintenance window early",
      request: { params: NumId },
      responses: { 204: { description: "Deleted" }, ...errors(403, 404) },
    }),
    (c) => {
      deleteWindow(deps, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
}
