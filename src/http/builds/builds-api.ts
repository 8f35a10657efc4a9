import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Principal } from "../../domain/auth/permissions.ts";
import { cancelBuild, getBuild, queueBuild } from "../../services/builds/queue.ts";
import { getService } from "../../services/releases/catalog.ts";
import type { Api, HttpDeps } from "../context.ts";
import { followBuildLog } from "../log-stream.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import {
  errors,
  IdParam,
  json,
  logResponses,
  PageQuery,
  paged,
  pageOf,
  ServiceParam,
} from "../schemas.ts";
import { artifactsApi } from "./artifacts-api.ts";
import { type Build, presentBuild, presentBuildLine } from "./present.ts";
import { BuildLogLineSchema, BuildSchema, QueueBuildBody } from "./schemas.ts";
import { sourceApi } from "./source-api.ts";

/** Builds from git: sources, builds and their logs, artifacts, health checks. */
export function buildsApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  sourceApi(app, h);
  artifactsApi(app, h);

  const serviceName = (b: Build) => deps.repos.services.byId(b.serviceId)?.name ?? "";
  const present = (b: Build) => presentBuild(deps, serviceName(b), b);
  // unknown ids pass the guard and meet their 404 in the handler
  const serviceOfBuild = (c: Context) => {
    const b = deps.repos.builds.byId(c.req.param("id") ?? "");
    return b ? serviceName(b) : undefined;
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/services/{service}/builds",
      middleware: [guard("deployments.create", serviceParam)] as const,
      tags: ["builds"],
      summary: "Build a ref of the service's git source now",
      description:
        "Queues a build; a ref mapped to an environment deploys there once built. Follow `Location` or stream `/builds/{id}/log`.",
      request: {
        params: ServiceParam,
        body: { required: false, content: { "application/json": { schema: QueueBuildBody } } },
      },
      responses: { 202: json(BuildSchema, "Queued"), ...errors(400, 404, 422) },
    }),
    (c) => {
      const service = getService(deps, c.req.valid("param").service);
      const principal = c.get("principal") as Principal;
      const build = queueBuild(deps, service, {
        ref: c.req.valid("json")?.ref,
        trigger: "api",
        triggeredBy: principal.label,
      });
      c.header("Location", `/api/v1/builds/${build.id}`);
      return c.json(presentBuild(deps, service.name, build), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/builds",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["builds"],
      summary: "List a service's builds, newest first",
      request: {
        params: ServiceParam,
        query: PageQuery,
      },
      responses: {
        200: pageOf(BuildSchema, "A page of builds"),
        ...errors(400, 404),
      },
    }),
    (c) => {
      const service = getService(deps, c.req.valid("param").service);
      const q = c.req.valid("query");
      const limit = q.limit ?? 20;
      const rows = deps.repos.builds.listForService(service.id, limit + 1, q.before);
      return c.json(
        paged(rows, limit, (b) => presentBuild(deps, service.name, b)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/builds/{id}",
      middleware: [guard("services.read", serviceOfBuild)] as const,
      tags: ["builds"],
      summary: "Show a build, with its queue position, duration, artifact and deployment",
      request: { params: IdParam },
      responses: { 200: json(BuildSchema, "The build"), ...errors(404) },
    }),
    (c) => c.json(present(getBuild(deps, c.req.valid("param").id)), 200),
  );

  const logRoute = createRoute({
    method: "get",
    path: "/builds/{id}/log",
    tags: ["builds"],
    summary: "The build log (JSON, or Server-Sent Events with Accept: text/event-stream)",
    description:
      "As SSE: each stored line is sent as an event `line` (JSON), and the stream closes with `end` once the build has finished (succeeded, failed, cancelled or interrupted).",
    request: { params: IdParam },
    responses: logResponses(BuildLogLineSchema),
  });
  app.openAPIRegistry.registerPath(logRoute);
  app.get("/builds/:id/log", guard("services.read", serviceOfBuild), (c) => {
    const b = getBuild(deps, c.req.param("id"));
    if (!(c.req.header("accept") ?? "").includes("text/event-stream")) {
      const lines = deps.repos.builds.logs(b.id).map(presentBuildLine);
      return c.json({ status: b.status, lines });
    }
    const after = Number(c.req.header("last-event-id") ?? 0);
    return streamSSE(c, async (stream) => {
      const status = await followBuildLog(
        stream,
        deps,
        b.id,
        Number.isSafeInteger(after) ? after : 0,
        (line) =>
          stream.writeSSE({
            event: "line",
            id: String(line.id),
            data: JSON.stringify(presentBuildLine(line)),
          }),
      );
      await stream.writeSSE({ event: "end", data: JSON.stringify({ status }) });
    });
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/builds/{id}/cancel",
      middleware: [guard("deployments.create", serviceOfBuild)] as const,
      tags: ["builds"],
      summary: "Cancel a build: a queued one at once, a running one by SIGTERM then SIGKILL",
      request: { params: IdParam },
      responses: { 202: json(BuildSchema, "Cancelled or stopping"), ...errors(404, 409) },
    }),
    (c) => {
      const principal = c.get("principal") as Principal;
      const b = cancelBuild(deps, c.req.valid("param").id, principal.label);
      c.header("Location", `/api/v1/builds/${b.id}`);
      return c.json(present(b), 202);
    },
  );
}
