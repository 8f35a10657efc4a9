import { createRoute, z } from "@hono/zod-openapi";
import { retryCertificate } from "../../services/edge/certificate-request.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { EnvParam, errors, json } from "../schemas.ts";
import { DomainSchema, presentDomain } from "./domains-api.ts";

export function certificatesApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  app.openapi(
    createRoute({
      method: "post",
      path: "/services/{service}/environments/{env}/domains/{hostname}/certificate",
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["domains"],
      summary: "Request (or renew) a domain's certificate now, without waiting for the next retry",
      description:
        "Starts an ACME HTTP-01 request in the background and answers 202 with the domain " +
        "(certificate.status `pending`); follow `Location` or the environment's activity log " +
        "for the outcome. 409 edge_not_nginx unless nginx serves the sites.",
      request: {
        params: EnvParam.extend({
          hostname: z
            .string()
            .openapi({ param: { name: "hostname", in: "path" }, example: "shop.example.com" }),
        }),
      },
      responses: {
        202: json(DomainSchema, "Accepted: the request runs in the background"),
        ...errors(404, 409),
      },
    }),
    (c) => {
      const p = c.req.valid("param");
      const domain = retryCertificate(deps, p.service, p.env, p.hostname);
      c.header("Location", `/api/v1/services/${p.service}/environments/${p.env}/domains`);
      return c.json(presentDomain(domain), 202);
    },
  );
}
