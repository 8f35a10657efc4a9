import { createRoute, z } from "@hono/zod-openapi";
import { envMonitoring, setEnvMonitoring } from "../../services/monitoring/badges.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { EnvParam, errors, json } from "../schemas.ts";
import { unprocessableHook } from "./schemas.ts";

const EnvMonitoringSchema = z
  .object({
    autoMonitor: z.boolean(),
    badgesPublic: z.boolean(),
    badgeToken: z.string().openapi({ description: "Opens private badges: append ?token=" }),
  })
  .openapi("EnvironmentMonitoring");

export function envMonitoringApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  const path = "/services/{service}/environments/{env}/monitoring";
  app.openapi(
    createRoute({
      method: "get",
      path,
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["monitors"],
      summary: "The environment's automatic monitor and badge settings",
      request: { params: EnvParam },
      responses: { 200: json(EnvMonitoringSchema, "Settings"), ...errors(403, 404) },
    }),
    (c) => {
      const p = c.req.valid("param");
      return c.json(envMonitoring(deps, p.service, p.env));
    },
  );
  app.openapi(
    createRoute({
      method: "put",
      path,
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["monitors"],
      summary: "Switch the automatic monitor, make badges public or private",
      request: {
        params: EnvParam,
        body: {
          content: {
            "application/json": {
              schema: z
                .object({
                  autoMonitor: z.boolean().optional(),
                  badgesPublic: z.boolean().optional(),
                })
                .strict(),
            },
          },
          required: true,
        },
      },
      responses: { 200: json(EnvMonitoringSchema, "Settings"), ...errors(403, 404, 422) },
    }),
    (c) => {
      const p = c.req.valid("param");
      return c.json(setEnvMonitoring(deps, p.service, p.env, c.req.valid("json")));
    },
    unprocessableHook,
  );
}
