import { createRoute, z } from "@hono/zod-openapi";
import type { ApiKey } from "../../domain/auth-types.ts";
import { forbidden, notFound } from "../../domain/errors.ts";
import { can, type Principal, SCOPES } from "../../domain/permissions.ts";
import { createApiKey, parseExpiry, revokeApiKey } from "../../services/auth/api-keys.ts";
import { getUser } from "../../services/auth/users.ts";
import type { Api, HttpDeps } from "../context.ts";
import { errors, json } from "../schemas.ts";
import { jsonBody, KeySchema, presentKey, UserIdParam } from "./schemas.ts";

/** Keys a principal may act on: their own, or everyone's with keys.manage. */
function assertKeyAccess(p: Principal, key: ApiKey) {
  if (key.userId !== p.userId && !can(p, "keys.manage"))
    throw notFound("key_not_found", `There is no API key ${key.id}.`);
}

/** API keys: your own, or everyone's with the keys permission. */
export function keysApi(app: Api, h: HttpDeps): void {
  const { deps } = h;

  app.openapi(
    createRoute({
      method: "get",
      path: "/keys",
      tags: ["api keys"],
      summary: "List API keys: your own, or everyone's with the keys permission (?all=1)",
      request: { query: z.object({ all: z.string().optional() }) },
      responses: { 200: json(z.object({ items: z.array(KeySchema) }), "Keys"), ...errors(401) },
    }),
    (c) => {
      const p = c.get("principal") as Principal;
      const all = c.req.valid("query").all === "1" && can(p, "keys.manage");
      return c.json(
        { items: deps.repos.users.keys(all ? undefined : p.userId).map(presentKey) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/keys",
      tags: ["api keys"],
      summary: "Create an API key for yourself; the key is in this answer only",
      request: jsonBody(
        z.object({
          name: z.string(),
          scope: z.enum(SCOPES),
          service: z.string().nullable().optional(),
          expires: z.string().optional().openapi({ example: "30d" }),
        }),
      ),
      responses: {
        201: json(KeySchema.extend({ key: z.string() }), "Created: copy `key` now"),
        ...errors(400, 401, 403, 404, 422),
      },
    }),
    (c) => {
      const p = c.get("principal") as Principal;
      const body = c.req.valid("json");
      if (p.kind === "key" && p.scope !== "admin")
        throw forbidden("Only an admin-scoped key can create keys.");
      // a key never carries more than its maker may do
      if (body.scope === "admin" && !can(p, "users.manage"))
        throw forbidden("Your role cannot hold an admin key.");
      if (body.service && p.services && !p.services.includes(body.service)) throw forbidden();
      if (!body.service && p.services) throw forbidden("Your keys must name one of your services.");
      const { key, record } = createApiKey(deps, getUser(deps, p.userId), {
        name: body.name,
        scope: body.scope,
        service: body.service ?? null,
        expiresIn: parseExpiry(body.expires),
      });
      return c.json({ ...presentKey(record), key }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/keys/{id}",
      tags: ["api keys"],
      summary: "Revoke an API key (effective on its next request)",
      request: { params: UserIdParam },
      responses: { 200: json(KeySchema, "Revoked"), ...errors(401, 403, 404) },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const key = deps.repos.users.keyById(id);
      if (!key) throw notFound("key_not_found", `There is no API key ${id}.`);
      assertKeyAccess(c.get("principal") as Principal, key);
      return c.json(presentKey(revokeApiKey(deps, id)), 200);
    },
  );
}
