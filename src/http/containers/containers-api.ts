import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { notFound } from "../../domain/errors.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import { deployContainer } from "../../services/containers/deploy.ts";
import { getContainerSpec, putContainerSpec } from "../../services/containers/spec.ts";
import type { Deps } from "../../services/core/deps.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { presentDeployment } from "../present.ts";
import { EnvParam, errors, json } from "../schemas.ts";
import { jsonBody } from "./body.ts";

const ContainerSpecSchema = z.record(z.string(), z.unknown()).openapi("ContainerSpec", {
  description:
    "image, port, command, args, env, secretEnv (write-only; names are returned), replicas, resources {requests, limits}, readinessProbe/livenessProbe {httpGet {path, port} | tcpSocket {port} | exec {command}, initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold, successThreshold}, registry {server, username, password} (write-only).",
  example: {
    image: "ghcr.io/acme/api:1.4.2",
    port: 8080,
    replicas: 2,
    env: { MODE: "production" },
    secretEnv: { DATABASE_URL: "postgres://..." },
  },
});

/** A container deployment as the API shows it: the row plus its immutable snapshot. */
export function presentContainerDeployment(
  h: HttpDeps,
  service: string,
  env: string,
  d: Deployment,
) {
  const snap = h.deps.repos.containers.snapshot(d.id);
  return {
    ...presentDeployment(h.urls, service, env, d),
    container: snap
      ? {
          image: snap.spec.image,
          imageDigest: snap.imageDigest,
          replicas: snap.spec.replicas,
          port: snap.spec.port,
          env: Object.keys(snap.spec.env),
          secretEnv: snap.secretNames,
          secretVersion: snap.secretVersion,
          resources: snap.spec.resources,
          readinessProbe: snap.spec.readinessProbe,
          livenessProbe: snap.spec.livenessProbe,
          restores: snap.restores,
        }
      : null,
  };
}

const isContainer = (deps: Deps, name: string | undefined) =>
  name !== undefined && deps.repos.services.byName(name)?.kind === "container";

export function containersApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  app.openapi(
    createRoute({
      method: "put",
      path: "/services/{service}/environments/{env}/container",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["containers"],
      summary: "Set an environment's container spec (validated whole; secrets stored encrypted)",
      request: {
        params: EnvParam,
        body: { content: { "application/json": { schema: ContainerSpecSchema } } },
      },
      responses: { 200: json(ContainerSpecSchema, "Saved"), ...errors(400, 404, 413, 422) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      return c.json(putContainerSpec(deps, p.service, p.env, await jsonBody(c)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/environments/{env}/container",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["containers"],
      summary: "An environment's container spec (secret values never shown)",
      request: { params: EnvParam },
      responses: { 200: json(ContainerSpecSchema, "The spec"), ...errors(404, 422) },
    }),
    (c) => {
      const p = c.req.valid("param");
      const spec = getContainerSpec(deps, p.service, p.env);
      if (!spec) throw notFound("no_container_spec", "This environment has no container spec yet.");
      return c.json(spec, 200);
    },
  );
  // A container deployment is shown with its snapshot; any other with deploymentsApi.
  const serviceOfDeployment = (c: Context) => {
    const d = deps.repos.deployments.byId(c.req.param("id") ?? "");
    const env = d && deps.repos.environments.byId(d.environmentId);
    return env ? deps.repos.services.byId(env.serviceId)?.name : undefined;
  };
  app.get("/deployments/:id", guard("services.read", serviceOfDeployment), async (c, next) => {
    const id = c.req.param("id") ?? "";
    const snap = deps.repos.containers.snapshot(id);
    const d = snap ? deps.repos.deployments.byId(id) : undefined;
    const env = snap ? deps.repos.environments.byId(snap.environmentId) : undefined;
    const service = env ? deps.repos.services.byId(env.serviceId) : undefined;
    if (!d || !env || !service) return next();
    return c.json(presentContainerDeployment(h, service.name, env.name, d), 200);
  });
  // A deploy of a container service is JSON {image?, message?}; a static one stays with deploymentsApi.
  const deploy = guard("deployments.create", serviceParam);
  app.post("/services/:service/environments/:env/deployments", deploy, async (c, next) => {
    const service = c.req.param("service");
    if (!isContainer(deps, service)) return next();
    const body = (await jsonBody(c)) as { image?: unknown; message?: unknown };
    const image =
      body && typeof body === "object" && body.image !== undefined ? String(body.image) : undefined;
    const message =
      body && typeof body === "object" && typeof body.message === "string"
        ? body.message.slice(0, 500)
        : undefined;
    const env = c.req.param("env") ?? "";
    const d = await deployContainer(deps, service ?? "", env, { image, message });
    c.header("Location", `/api/v1/deployments/${d.id}`);
    return c.json(presentContainerDeployment(h, service ?? "", env, d), 202);
  });
}
