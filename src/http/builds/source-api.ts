import { createRoute } from "@hono/zod-openapi";
import type { Environment } from "../../domain/releases/types.ts";
import {
  configureSource,
  getSource,
  rotateWebhookSecret,
  viewSource,
} from "../../services/builds/source.ts";
import { getEnvironment, getService } from "../../services/releases/catalog.ts";
import { setHealthCheck } from "../../services/releases/health.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { EnvParam, errors, json, ServiceParam } from "../schemas.ts";
import { hookUrls, presentSource } from "./present.ts";
import {
  HealthBody,
  HealthSchema,
  SourceBody,
  SourceSchema,
  WebhookSecretSchema,
} from "./schemas.ts";

const presentHealth = (e: Environment) => ({
  path: e.healthPath,
  status: e.healthStatus,
  keyword: e.healthKeyword,
  timeoutMs: e.healthTimeoutMs,
  retries: e.healthRetries,
});

/** A service's git source and webhook secret, and its environments' health checks. */
export function sourceApi(app: Api, h: HttpDeps): void {
  const { deps, publicUrl } = h;

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/source",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["builds"],
      summary: "Show the git source a service builds from (secrets only as set flags)",
      request: { params: ServiceParam },
      responses: { 200: json(SourceSchema, "The source"), ...errors(404) },
    }),
    (c) => {
      const service = getService(deps, c.req.valid("param").service);
      const view = viewSource(getSource(deps, service));
      return c.json(presentSource(publicUrl, service.name, view), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/services/{service}/source",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["builds"],
      summary: "Set the git source: repository, credential, commands, output, branch mapping",
      description:
        "The first save creates the webhook secret and returns it once as `webhookSecret`; later saves keep it (rotate it with POST .../source/webhook-secret).",
      request: {
        params: ServiceParam,
        body: { required: true, content: { "application/json": { schema: SourceBody } } },
      },
      responses: { 200: json(SourceSchema, "The saved source"), ...errors(400, 404, 422) },
    }),
    (c) => {
      const service = getService(deps, c.req.valid("param").service);
      const { secret } = configureSource(deps, service, c.req.valid("json"));
      const view = presentSource(publicUrl, service.name, viewSource(getSource(deps, service)));
      return c.json(secret ? { ...view, webhookSecret: secret } : view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/services/{service}/source/webhook-secret",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["builds"],
      summary: "Make a new webhook secret (shown once); the old one stops working at once",
      request: { params: ServiceParam },
      responses: { 200: json(WebhookSecretSchema, "The new secret"), ...errors(404) },
    }),
    (c) => {
      const service = getService(deps, c.req.valid("param").service);
      const secret = rotateWebhookSecret(deps, service);
      return c.json({ secret, ...hookUrls(publicUrl, service.name) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/environments/{env}/health",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["builds"],
      summary: "Show an environment's health check",
      request: { params: EnvParam },
      responses: { 200: json(HealthSchema, "The health check"), ...errors(404) },
    }),
    (c) => {
      const p = c.req.valid("param");
      return c.json(presentHealth(getEnvironment(deps, p.service, p.env).environment), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/services/{service}/environments/{env}/health",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["builds"],
      summary: "Set (or, with path null, remove) the check run after each activation",
      description:
        "After a release is switched in, Berth GETs `path` on the environment's site and expects `status` (and `keyword` in the body), retrying `retries` times. On failure the deployment fails at stage `health` and the previous release is activated again.",
      request: {
        params: EnvParam,
        body: { required: true, content: { "application/json": { schema: HealthBody } } },
      },
      responses: { 200: json(HealthSchema, "The saved check"), ...errors(400, 404, 422) },
    }),
    (c) => {
      const p = c.req.valid("param");
      const { environment } = getEnvironment(deps, p.service, p.env);
      return c.json(presentHealth(setHealthCheck(deps, environment, c.req.valid("json"))), 200);
    },
  );
}
