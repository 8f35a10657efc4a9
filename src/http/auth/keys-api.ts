import { createRoute, z } from "@hono/zod-openapi";
import { can, type Principal, SCOPES } from "../../domain/auth/permissions.ts";
import { createKeyAs, parseExpiry, revokeKeyAs } from "../../services/auth/api-keys.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { errors, json, PAGE_MAX } from "../schemas.ts";
import { jsonBody, KeySchema, presentKey, UserIdParam } from "./schemas.ts";

/** API keys: your own, or everyone's with the keys permission. */
export function keysApi(app: Api, h: HttpDeps): void {
  const { deps } = h;

  app.openapi(
    createRoute({
      method: "get",
      path: "/keys",
      tags: ["api keys"],
      summary: "List API keys: your own, or everyone's with the keys permission (?all=1)",
      middleware: [guard("keys")],
      request: {
        query: z.object({
          all: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(PAGE_MAX).optional(),
          after: z.coerce
            .number()
            .int()
            .optional()
            .openapi({ description: "The nextCursor of the previous page" }),
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(KeySchema), nextCursor: z.number().nullable() }),
          "Keys",
        ),
        ...errors(400, 401),
      },
    }),
    (c) => {
      const p = c.get("principal") as Principal;
      const q = c.req.valid("query");
      const all = q.all === "1" && can(p, "keys.manage");
      const limit = q.limit ?? PAGE_MAX;
      const rows = deps.repos.users.keys(all ? undefined : p.userId, {
        after: q.after,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? (page.at(-1)?.id ?? null) : null;
      return c.json({ items: page.map(presentKey), nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/keys",
      tags: ["api keys"],
      summary: "Create an API key for yourself; the key is in this answer only",
      description:
        "The new key is never stronger than the credential that makes it: its scope is at most yours (and your role's), it names your service when you are limited to one, and a key expires no later than the key that makes it.",
      middleware: [guard("keys")],
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
      const body = c.req.valid("json");
      c.set("audited", `key "${body.name}"`);
      const { key, record } = createKeyAs(deps, c.get("principal") as Principal, {
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
      middleware: [guard("keys")],
      request: { params: UserIdParam },
      responses: { 200: json(KeySchema, "Revoked"), ...errors(401, 403, 404) },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      return c.json(presentKey(revokeKeyAs(deps, c.get("principal") as Principal, id)), 200);
    },
  );
}
