import { createRoute, z } from "@hono/zod-openapi";
import { type Principal, visibleServices } from "../../domain/auth/permissions.ts";
import type { Environment, Service } from "../../domain/releases/types.ts";
import {
  createEnvironment,
  createService,
  deleteEnvironment,
  deleteService,
  getEnvironment,
  getService,
  updateEnvironment,
} from "../../services/releases/catalog.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { presentEnvironment, presentService } from "../present.ts";
import {
  CreateEnvironmentBody,
  CreateServiceBody,
  EnvironmentSchema,
  EnvParam,
  errors,
  json,
  PAGE_MAX,
  ServiceParam,
  ServiceSchema,
  UpdateEnvironmentBody,
} from "../schemas.ts";

const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

export function servicesApi(app: Api, h: HttpDeps): void {
  const { deps, urls } = h;
  const envJson = (service: Service, e: Environment) =>
    presentEnvironment(
      urls,
      service.name,
      e,
      e.liveDeploymentId ? deps.repos.deployments.byId(e.liveDeploymentId) : undefined,
    );
  const serviceJson = (s: Service) =>
    presentService(
      s,
      deps.repos.environments.listForService(s.id).map((e) => envJson(s, e)),
    );

  app.openapi(
    createRoute({
      method: "post",
      path: "/services",
      middleware: [guard("services.create")] as const,
      tags: ["services"],
      summary: "Create a service with its environments (default: production)",
      request: body(CreateServiceBody),
      responses: { 201: json(ServiceSchema, "Created"), ...errors(400, 409, 422) },
    }),
    async (c) => {
      const { service } = await createService(deps, c.req.valid("json"));
      c.set("audited", service.name);
      return c.json(serviceJson(service), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/services",
      middleware: [guard("services.read")] as const,
      tags: ["services"],
      summary: "List services by name, a page at a time, optionally those whose name contains q",
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(PAGE_MAX).optional(),
          after: z
            .string()
            .max(64)
            .optional()
            .openapi({ description: "The nextCursor of the previous page" }),
          q: z.string().max(64).optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(ServiceSchema), nextCursor: z.string().nullable() }),
          "Services",
        ),
        ...errors(400),
      },
    }),
    (c) => {
      const q = c.req.valid("query");
      const limit = q.limit ?? PAGE_MAX;
      const only = visibleServices(c.get("principal") as Principal);
      const rows = deps.repos.services.page({ after: q.after, q: q.q, only, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return c.json(
        {
          items: page.map(serviceJson),
          nextCursor: rows.length > limit ? (page.at(-1)?.name ?? null) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["services"],
      summary: "Show a service",
      request: { params: ServiceParam },
      responses: { 200: json(ServiceSchema, "The service"), ...errors(404) },
    }),
    (c) => c.json(serviceJson(getService(deps, c.req.valid("param").service)), 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/services/{service}",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["services"],
      summary: "Delete a service, its environments, releases and history",
      request: { params: ServiceParam },
      responses: { 204: { description: "Deleted" }, ...errors(404, 409) },
    }),
    async (c) => {
      await deleteService(deps, c.req.valid("param").service);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/services/{service}/environments",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["environments"],
      summary: "Create an environment",
      request: { params: ServiceParam, ...body(CreateEnvironmentBody) },
      responses: { 201: json(EnvironmentSchema, "Created"), ...errors(400, 404, 409, 422) },
    }),
    async (c) => {
      const name = c.req.valid("param").service;
      const env = await createEnvironment(deps, name, c.req.valid("json"));
      c.set("audited", `${name}/${env.name}`);
      return c.json(envJson(getService(deps, name), env), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/environments",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["environments"],
      summary: "List a service's environments",
      request: { params: ServiceParam },
      responses: {
        200: json(z.object({ items: z.array(EnvironmentSchema) }), "Environments"),
        ...errors(404),
      },
    }),
    (c) => {
      const service = getService(deps, c.req.valid("param").service);
      const items = deps.repos.environments
        .listForService(service.id)
        .map((e) => envJson(service, e));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/environments/{env}",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["environments"],
      summary: "Show an environment with its URL and live deployment",
      request: { params: EnvParam },
      responses: { 200: json(EnvironmentSchema, "The environment"), ...errors(404) },
    }),
    (c) => {
      const p = c.req.valid("param");
      const { service, environment } = getEnvironment(deps, p.service, p.env);
      return c.json(envJson(service, environment), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/services/{service}/environments/{env}",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["environments"],
      summary: "Change an environment's retention or SPA fallback",
      request: { params: EnvParam, ...body(UpdateEnvironmentBody) },
      responses: { 200: json(EnvironmentSchema, "Updated"), ...errors(400, 404, 422) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      const env = await updateEnvironment(deps, p.service, p.env, c.req.valid("json"));
      return c.json(envJson(getService(deps, p.service), env), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/services/{service}/environments/{env}",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["environments"],
      summary: "Delete an environment, its releases and history",
      request: { params: EnvParam },
      responses: { 204: { description: "Deleted" }, ...errors(404, 409) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      await deleteEnvironment(deps, p.service, p.env);
      return c.body(null, 204);
    },
  );
}
