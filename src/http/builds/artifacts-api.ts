import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deployArtifact } from "../../services/builds/artifacts.ts";
import { getService } from "../../services/releases/catalog.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { presentDeployment } from "../present.ts";
import { DeploymentSchema, errors, IdParam, json, ServiceParam } from "../schemas.ts";
import { presentArtifact } from "./present.ts";
import { ArtifactSchema, DeployArtifactBody } from "./schemas.ts";

const PAGE_MAX = 100;

export function artifactsApi(app: Api, h: HttpDeps): void {
  const { deps, urls } = h;
  // unknown ids pass the guard and meet their 404 in the handler
  const serviceOfArtifact = (c: Context) => {
    const a = deps.repos.builds.artifact(c.req.param("id") ?? "");
    return a ? deps.repos.services.byId(a.serviceId)?.name : undefined;
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/services/{service}/artifacts",
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["builds"],
      summary: "List a service's build artifacts, newest first, with their good/bad marks",
      request: {
        params: ServiceParam,
        query: z.object({ limit: z.coerce.number().int().min(1).max(PAGE_MAX).optional() }),
      },
      responses: {
        200: json(z.object({ items: z.array(ArtifactSchema) }), "The artifacts"),
        ...errors(400, 404),
      },
    }),
    (c) => {
      const service = getService(deps, c.req.valid("param").service);
      const rows = deps.repos.builds.artifacts(service.id, c.req.valid("query").limit ?? 50);
      return c.json({ items: rows.map((a) => presentArtifact(service.name, a)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/artifacts/{id}/deploy",
      middleware: [guard("deployments.create", serviceOfArtifact)] as const,
      tags: ["builds"],
      summary: "Deploy an artifact to an environment of its service",
      request: {
        params: IdParam,
        body: { required: true, content: { "application/json": { schema: DeployArtifactBody } } },
      },
      responses: {
        202: json(DeploymentSchema, "Accepted: queued behind any running deployment"),
        ...errors(400, 404, 409, 422),
      },
    }),
    async (c) => {
      const { environment } = c.req.valid("json");
      const d = await deployArtifact(deps, c.req.valid("param").id, environment);
      const service = serviceOfArtifact(c) ?? "";
      c.header("Location", `/api/v1/deployments/${d.id}`);
      return c.json(presentDeployment(urls, service, environment, d), 202);
    },
  );
}
