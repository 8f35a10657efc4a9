import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { allows } from "../../domain/auth/permissions.ts";
import { forbidden } from "../../domain/errors.ts";
import type { Domain } from "../../domain/releases/types.ts";
import { addDomain, listDomains, removeDomain } from "../../services/edge/domains.ts";
import type { Api, Env, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { EnvParam, errors, json } from "../schemas.ts";

export const DomainSchema = z
  .object({
    hostname: z.string().openapi({ example: "shop.example.com" }),
    wwwRedirect: z
      .boolean()
      .openapi({ description: "www.<hostname> answers with a 301 to the bare name." }),
    url: z.string().openapi({ example: "https://shop.example.com" }),
    dns: z.object({
      status: z.enum(["none", "pending", "ok", "error"]).openapi({
        description: "none: no DNS provider (records by hand); ok: records written.",
      }),
      message: z.string().nullable(),
    }),
    certificate: z.object({
      status: z.enum(["none", "pending", "issued", "error"]),
      expiresAt: z.string().nullable(),
      message: z.string().nullable(),
    }),
    createdAt: z.string(),
  })
  .openapi("Domain");

export const AddDomainBody = z
  .object({
    hostname: z.string().max(300).openapi({ example: "shop.example.com" }),
    wwwRedirect: z.boolean().optional(),
    takeOver: z.boolean().optional().openapi({
      description:
        "Owners and admins only: let Berth take over A/AAAA/CNAME records of the name that it did not create (audited).",
    }),
  })
  .openapi("AddDomain");

const DomainParam = EnvParam.extend({
  hostname: z
    .string()
    .openapi({ param: { name: "hostname", in: "path" }, example: "shop.example.com" }),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentDomain(d: Domain) {
  return {
    hostname: d.hostname,
    wwwRedirect: d.wwwRedirect,
    url: `${d.certStatus === "issued" ? "https" : "http"}://${d.hostname}`,
    dns: { status: d.dnsStatus, message: d.dnsMessage },
    certificate: { status: d.certStatus, expiresAt: iso(d.certExpiresAt), message: d.certMessage },
    createdAt: iso(d.createdAt) as string,
  };
}

/** Taking over DNS records Berth did not make is for owners and admins (not limited ones). */
export function assertMayTakeOverDns(c: Context<Env>): void {
  const p = c.get("principal");
  if (!p || !allows(p, "settings.manage"))
    throw forbidden(
      "Only an owner or admin can take over DNS records Berth did not create.",
      "takeOver",
    );
  c.set("auditAction", "domain.dns_take_over");
}

export function domainsApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  const path = "/services/{service}/environments/{env}/domains";

  app.openapi(
    createRoute({
      method: "get",
      path,
      middleware: [guard("services.read", serviceParam)] as const,
      tags: ["domains"],
      summary: "List an environment's custom domains with their DNS and certificate status",
      request: { params: EnvParam },
      responses: {
        200: json(z.object({ items: z.array(DomainSchema) }), "Domains"),
        ...errors(404),
      },
    }),
    (c) => {
      const p = c.req.valid("param");
      return c.json({ items: listDomains(deps, p.service, p.env).map(presentDomain) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path,
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["domains"],
      summary:
        "Add a custom domain: served at once (nginx mode: vhost tested and reloaded), then DNS",
      description:
        "422 invalid_hostname when the name is not a usable domain; 409 domain_taken when " +
        "another environment already has it; 409 dns_conflict when the name holds DNS " +
        "records Berth did not create (an owner or admin may pass takeOver: true); " +
        "409 edge_failed when nginx refused the new " +
        "configuration (nothing is kept). A DNS failure keeps the domain with dns.status error.",
      request: {
        params: EnvParam,
        body: { content: { "application/json": { schema: AddDomainBody } }, required: true },
      },
      responses: { 201: json(DomainSchema, "Added"), ...errors(400, 404, 409, 422) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      const body = c.req.valid("json");
      if (body.takeOver) assertMayTakeOverDns(c);
      const domain = await addDomain(deps, p.service, p.env, body);
      return c.json(presentDomain(domain), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: `${path}/{hostname}`,
      middleware: [guard("services.write", serviceParam)] as const,
      tags: ["domains"],
      summary: "Remove a custom domain: no longer served, DNS records removed",
      request: { params: DomainParam },
      responses: { 204: { description: "Removed" }, ...errors(404, 409) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      await removeDomain(deps, p.service, p.env, p.hostname);
      return c.body(null, 204);
    },
  );
}
