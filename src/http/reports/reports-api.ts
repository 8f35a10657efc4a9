import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ReportsCore } from "../../services/reports/core.ts";
import {
  getGroup,
  groupEvents,
  listGroups,
  matchRelease,
  reportingKey,
  rotateReportingKey,
  setGroupStatus,
} from "../../services/reports/groups.ts";
import { ingestPlain } from "../../services/reports/ingest.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { errors, json, ServiceParam } from "../schemas.ts";
import {
  GroupQuery,
  GroupSchema,
  PlainReportSchema,
  presentGroup,
  ReportingSchema,
  StatusBody,
} from "./schemas.ts";

/** The DSN of a service as Sentry SDKs take it, and the two intake URLs. */
export function dsnOf(publicUrl: string, projectId: number, key: string) {
  const u = new URL(publicUrl);
  const base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
  return {
    dsn: `${u.protocol}//${key}@${u.host}${u.pathname.replace(/\/+$/, "")}/${projectId}`,
    storeUrl: `${base}/api/${projectId}/store/`,
    envelopeUrl: `${base}/api/${projectId}/envelope/`,
  };
}

const GroupParam = z.object({
  id: z.coerce
    .number()
    .int()
    .openapi({ param: { name: "id", in: "path" }, example: 12 }),
});

export function reportsApi(app: Api, h: HttpDeps, r: ReportsCore): void {
  // unknown ids pass the guard and meet their 404 in the handler
  const serviceOfGroup = (c: Context) => {
    const g = r.groups.byId(Number(c.req.param("id")));
    return g ? r.deps.repos.services.byId(g.serviceId)?.name : undefined;
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/reporting",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["errors"],
      summary: "The service's DSN for Sentry SDKs, and its intake URLs",
      request: { params: ServiceParam },
      responses: { 200: json(ReportingSchema, "The DSN"), ...errors(404) },
    }),
    (c) => {
      const k = reportingKey(r, c.req.valid("param").service);
      return c.json(dsnOf(h.publicUrl, k.projectId, k.key), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/services/{service}/reporting/rotate",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["errors"],
      summary: "Replace the DSN's key; the old DSN stops working at once",
      request: { params: ServiceParam },
      responses: { 200: json(ReportingSchema, "The new DSN"), ...errors(404) },
    }),
    (c) => {
      const k = rotateReportingKey(r, c.req.valid("param").service);
      return c.json(dsnOf(h.publicUrl, k.projectId, k.key), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/services/{service}/reports",
      middleware: [guard("reports.create", serviceParam)] as const,
      tags: ["errors"],
      summary: "Report an error without a Sentry SDK (API key of scope report)",
      request: {
        params: ServiceParam,
        body: { content: { "application/json": { schema: PlainReportSchema } }, required: true },
      },
      responses: {
        200: json(z.object({ id: z.string() }), "Stored"),
        ...errors(400, 404, 429),
      },
    }),
    (c) => {
      const { projectId } = reportingKey(r, c.req.valid("param").service);
      return c.json({ id: ingestPlain(r, projectId, c.req.valid("json")) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/errors",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["errors"],
      summary: "Error groups of a service, most recently seen first",
      request: { params: ServiceParam, query: GroupQuery },
      responses: {
        200: json(z.object({ groups: z.array(GroupSchema) }), "Groups"),
        ...errors(404),
      },
    }),
    (c) => {
      const { service } = c.req.valid("param");
      const groups = listGroups(r, service, c.req.valid("query"));
      return c.json({ groups: groups.map((g) => presentGroup(g, service)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/errors/{id}",
      middleware: [guard("services.read", serviceOfGroup)] as const,
      tags: ["errors"],
      summary: "An error group with its recent events and the deployment it was first seen in",
      request: { params: GroupParam },
      responses: {
        200: json(
          GroupSchema.extend({
            events: z.array(z.object({ id: z.string(), receivedAt: z.string(), event: z.any() })),
            firstSeenIn: z
              .object({
                deployment: z.string(),
                environment: z.string(),
                commit: z.string().nullable(),
                message: z.string().nullable(),
                who: z.string().nullable(),
              })
              .nullable(),
          }),
          "The group",
        ),
        ...errors(404),
      },
    }),
    (c) => {
      const { group, service } = getGroup(r, c.req.valid("param").id);
      const m = matchRelease(r, group.serviceId, group.firstRelease);
      const events = groupEvents(r, group.id).map((e) => ({
        id: e.id,
        receivedAt: new Date(e.receivedAt).toISOString(),
        event: e.event,
      }));
      const firstSeenIn = m
        ? {
            deployment: m.deployment.id,
            environment: m.environment,
            commit: m.deployment.commit,
            message: m.deployment.message,
            who: m.who,
          }
        : null;
      return c.json({ ...presentGroup(group, service), events, firstSeenIn }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/errors/{id}",
      middleware: [guard("errors.triage", serviceOfGroup)] as const,
      tags: ["errors"],
      summary: "Resolve, ignore or reopen an error group",
      request: {
        params: GroupParam,
        body: { content: { "application/json": { schema: StatusBody } }, required: true },
      },
      responses: { 200: json(GroupSchema, "The group"), ...errors(400, 404) },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const g = setGroupStatus(r, id, c.req.valid("json").status);
      return c.json(presentGroup(g, getGroup(r, id).service), 200);
    },
  );
}
