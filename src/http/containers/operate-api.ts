import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import {
  followLogs,
  listPods,
  logQuery,
  readLogs,
  restartEnvironment,
  scaleEnvironment,
  startEnvironment,
  stopEnvironment,
  usage,
} from "../../services/containers/ops.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { EnvParam, errors, json } from "../schemas.ts";
import { jsonBody } from "./body.ts";

const Pod = z
  .object({
    name: z.string(),
    phase: z.string(),
    ready: z.boolean(),
    state: z.string(),
    restarts: z.number(),
    ageSeconds: z.number(),
    node: z.string().nullable(),
    image: z.string(),
    deployment: z.string().nullable(),
  })
  .openapi("Pod");
const Anything = z.record(z.string(), z.unknown());
const base = "/services/{service}/environments/{env}";

/** Operating a container environment: deployers change it, viewers read it. */
export function operateApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  const action = (
    verb: "stop" | "start" | "restart",
    summary: string,
    run: (deps: HttpDeps["deps"], s: string, e: string) => Promise<Record<string, unknown>>,
  ) =>
    app.openapi(
      createRoute({
        method: "post",
        path: `${base}/${verb}`,
        middleware: [guard("deployments.create", serviceParam)] as const,
        tags: ["containers"],
        summary,
        request: { params: EnvParam },
        responses: { 200: json(Anything, "Done"), ...errors(404, 409, 422, 502) },
      }),
      async (c) => {
        const p = c.req.valid("param");
        return c.json(await run(deps, p.service, p.env), 200);
      },
    );
  action("stop", "Scale to 0, remembering the replicas", stopEnvironment);
  action("start", "Scale back to the remembered replicas", startEnvironment);
  action(
    "restart",
    "Rolling restart (pod template annotation, as kubectl rollout restart)",
    restartEnvironment,
  );

  app.openapi(
    createRoute({
      method: "put",
      path: `${base}/scale`,
      middleware: [guard("deployments.create", serviceParam)] as const,
      tags: ["containers"],
      summary: "Set the replicas through the scale subresource",
      request: {
        params: EnvParam,
        body: { content: { "application/json": { schema: Anything } } },
      },
      responses: { 200: json(Anything, "Scaled"), ...errors(404, 409, 422, 502) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      const body = (await jsonBody(c)) as { replicas?: unknown };
      return c.json(await scaleEnvironment(deps, p.service, p.env, body?.replicas), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: `${base}/pods`,
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["containers"],
      summary: "The environment's pods",
      request: { params: EnvParam },
      responses: { 200: json(z.object({ items: z.array(Pod) }), "Pods"), ...errors(404, 409, 502) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      return c.json({ items: await listPods(deps, p.service, p.env) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: `${base}/usage`,
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["containers"],
      summary: "CPU and memory per pod from metrics.k8s.io",
      request: { params: EnvParam },
      responses: { 200: json(Anything, "Usage"), ...errors(404, 409, 502) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      return c.json(await usage(deps, p.service, p.env), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: `${base}/logs`,
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["containers"],
      summary:
        "Logs of all pods, each line labelled with its pod; Accept: text/event-stream follows",
      request: {
        params: EnvParam,
        query: z.object({
          tail: z.string().optional(),
          previous: z.string().optional(),
          pod: z.string().optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(z.object({ pod: z.string(), line: z.string() })) }),
          "Lines",
        ),
        ...errors(404, 409, 422, 502),
      },
    }),
    async (c) => {
      const p = c.req.valid("param");
      const q = logQuery(c.req.valid("query"));
      if (!(c.req.header("accept") ?? "").includes("text/event-stream")) {
        return c.json({ items: await readLogs(deps, p.service, p.env, q) }, 200);
      }
      const abort = new AbortController();
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => abort.abort());
        await followLogs(
          deps,
          p.service,
          p.env,
          q,
          (l) => void stream.writeSSE({ event: "line", data: JSON.stringify(l) }),
          abort.signal,
        );
        await stream.writeSSE({ event: "end", data: "{}" });
      }) as never;
    },
  );
}
