import type { Readable } from "node:stream";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { notFound } from "../../domain/errors.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import { getEnvironment } from "../../services/releases/catalog.ts";
import { acceptBundle, redeploy } from "../../services/releases/deploy.ts";
import { promote } from "../../services/releases/promote.ts";
import { rollback } from "../../services/releases/rollback.ts";
import type { Api, HttpDeps } from "../context.ts";
import { followLog } from "../log-stream.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { presentDeployment, presentLogLine } from "../present.ts";
import {
  DeploymentSchema,
  EnvParam,
  errors,
  IdParam,
  json,
  LogLineSchema,
  logResponses,
  PageQuery,
  paged,
  pageOf,
  RollbackBody,
} from "../schemas.ts";
import { receiveUpload } from "./upload.ts";

export function deploymentsApi(app: Api, h: HttpDeps): void {
  const { deps, urls } = h;
  const locate = (d: Deployment) => {
    const env = deps.repos.environments.byId(d.environmentId);
    const service = env && deps.repos.services.byId(env.serviceId);
    return { service: service?.name ?? "", env: env?.name ?? "" };
  };
  const present = (d: Deployment) => {
    const at = locate(d);
    return presentDeployment(urls, at.service, at.env, d);
  };
  // unknown ids pass the guard and meet their 404 in the handler
  const serviceOfDeployment = (c: Context) => {
    const d = deps.repos.deployments.byId(c.req.param("id") ?? "");
    return d ? locate(d).service : undefined;
  };
  const find = (id: string) => {
    const d = deps.repos.deployments.byId(id);
    if (!d) throw notFound("deployment_not_found", `There is no deployment ${id}.`);
    return d;
  };

  const uploadRoute = createRoute({
    method: "post",
    path: "/services/{service}/environments/{env}/deployments",
    tags: ["deployments"],
    summary: "Deploy a bundle (zip or tar.gz of the built site)",
    description:
      "Send multipart/form-data with the file in field `bundle` (and optional `message`, `commit`, `stripFolder` fields), or the raw archive as `application/zip` / `application/gzip` with optional `message`, `commit` and `stripFolder` query parameters. A bundle that holds one folder and no index.html at its root fails with `bundle_in_folder` before it goes live; `stripFolder=true` serves that folder as the root. Answers 202 once the bundle is stored and validated; follow `Location` or stream the log.",
    request: {
      params: EnvParam,
      query: z.object({
        message: z.string().optional(),
        commit: z.string().optional(),
        stripFolder: z.enum(["true", "false"]).optional(),
      }),
      body: {
        required: true,
        content: {
          "multipart/form-data": {
            schema: z.object({
              bundle: z.string().openapi({ format: "binary" }),
              message: z.string().optional(),
              commit: z.string().optional(),
              stripFolder: z.enum(["true", "false"]).optional(),
            }),
          },
          "application/zip": { schema: z.string().openapi({ format: "binary" }) },
          "application/gzip": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
    },
    responses: {
      202: json(DeploymentSchema, "Accepted: queued behind any running deployment"),
      ...errors(400, 404, 413, 422),
    },
  });
  // documented here, handled by hand: the body is streamed to disk, never buffered
  app.openAPIRegistry.registerPath(uploadRoute);
  app.post(
    "/services/:service/environments/:env/deployments",
    guard("deployments.create", serviceParam),
    async (c) => {
      const target = getEnvironment(deps, c.req.param("service"), c.req.param("env"));
      const { bundle, fields } = await receiveUpload(
        c.req.raw,
        deps.layout,
        deps.limits.maxBundleBytes,
        (c.env as { incoming?: Readable } | undefined)?.incoming,
      );
      const text = (v: string | undefined) => (v?.trim() ? v.trim().slice(0, 500) : null);
      const d = await acceptBundle(deps, target, bundle, {
        message: text(fields.message ?? c.req.query("message")),
        commit: text(fields.commit ?? c.req.query("commit")),
        stripFolder: isTrue(fields.stripFolder ?? c.req.query("stripFolder")),
      });
      c.set("audited", `${target.service.name}/${target.environment.name} deployment ${d.id}`);
      c.header("Location", `/api/v1/deployments/${d.id}`);
      return c.json(present(d), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/environments/{env}/deployments",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["deployments"],
      summary: "List an environment's deployments, newest first",
      request: {
        params: EnvParam,
        query: PageQuery,
      },
      responses: {
        200: pageOf(DeploymentSchema, "A page of deployments"),
        ...errors(400, 404),
      },
    }),
    (c) => {
      const p = c.req.valid("param");
      const q = c.req.valid("query");
      const { environment } = getEnvironment(deps, p.service, p.env);
      const limit = q.limit ?? 20;
      const rows = deps.repos.deployments.listForEnvironment(environment.id, limit + 1, q.before);
      return c.json(
        paged(rows, limit, (d) => presentDeployment(urls, p.service, p.env, d)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/deployments/{id}",
      middleware: [guard("services.read", serviceOfDeployment)] as const,
      tags: ["deployments"],
      summary: "Show a deployment",
      request: { params: IdParam },
      responses: { 200: json(DeploymentSchema, "The deployment"), ...errors(404) },
    }),
    (c) => c.json(present(find(c.req.valid("param").id)), 200),
  );

  const logRoute = createRoute({
    method: "get",
    path: "/deployments/{id}/log",
    tags: ["deployments"],
    summary: "The release log (JSON, or Server-Sent Events with Accept: text/event-stream)",
    description:
      "As SSE: each stored line is sent as an event `line` (JSON), status changes as `status`, and the stream closes with `end` once the deployment has finished.",
    request: { params: IdParam },
    responses: logResponses(LogLineSchema),
  });
  app.openAPIRegistry.registerPath(logRoute);
  app.get("/deployments/:id/log", guard("services.read", serviceOfDeployment), (c) => {
    const d = find(c.req.param("id"));
    if (!(c.req.header("accept") ?? "").includes("text/event-stream")) {
      const lines = deps.repos.deployments.logs(d.id).map(presentLogLine);
      return c.json({ status: d.status, lines });
    }
    return streamSSE(c, async (stream) => {
      const status = await followLog(stream, deps, d.id, 0, (line) =>
        stream.writeSSE({
          event: "line",
          id: String(line.id),
          data: JSON.stringify(presentLogLine(line)),
        }),
      );
      await stream.writeSSE({ event: "end", data: JSON.stringify({ status }) });
    });
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/services/{service}/environments/{env}/rollback",
      middleware: [guard("rollbacks.create", serviceParam)] as const,
      tags: ["deployments"],
      summary: "Roll back to the previous good release, or to a named one still on disk",
      request: {
        params: EnvParam,
        body: { content: { "application/json": { schema: RollbackBody } }, required: false },
      },
      responses: {
        200: json(DeploymentSchema, "The deployment now live"),
        ...errors(400, 404, 409),
      },
    }),
    async (c) => {
      const p = c.req.valid("param");
      const d = await rollback(deps, p.service, p.env, c.req.valid("json")?.deploymentId);
      return c.json(presentDeployment(urls, p.service, p.env, d), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/deployments/{id}/redeploy",
      middleware: [guard("deployments.create", serviceOfDeployment)] as const,
      tags: ["deployments"],
      summary: "Deploy a deployment's stored bundle again (for example after it was pruned)",
      request: {
        params: IdParam,
        body: {
          required: false,
          content: {
            "application/json": {
              schema: z.object({
                stripFolder: z.boolean().optional().openapi({
                  description:
                    "Serve the bundle's one top-level folder as the root (default: as the deployment did).",
                }),
              }),
            },
          },
        },
      },
      responses: { 202: json(DeploymentSchema, "Accepted"), ...errors(404, 409, 422) },
    }),
    async (c) => {
      const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
      const d = await redeploy(deps, c.req.valid("param").id, {
        stripFolder: body.stripFolder,
      });
      c.header("Location", `/api/v1/deployments/${d.id}`);
      return c.json(present(d), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/deployments/{id}/promote",
      middleware: [guard("deployments.create", serviceOfDeployment)] as const,
      tags: ["deployments"],
      summary: "Deploy a deployment's bundle to another environment of its service",
      request: {
        params: IdParam,
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.object({
                environment: z.string().min(1).openapi({ example: "production" }),
              }),
            },
          },
        },
      },
      responses: { 202: json(DeploymentSchema, "Accepted"), ...errors(400, 404, 409, 422) },
    }),
    async (c) => {
      const d = await promote(deps, c.req.valid("param").id, c.req.valid("json").environment);
      c.header("Location", `/api/v1/deployments/${d.id}`);
      return c.json(present(d), 202);
    },
  );
}

/** A form or query flag: "true", "on" or "1". */
const isTrue = (v: string | undefined) => v === "true" || v === "on" || v === "1";
