import { createRoute, z } from "@hono/zod-openapi";
import type { ApiKey, User } from "../../domain/auth-types.ts";
import { forbidden, notFound } from "../../domain/errors.ts";
import { can, canAssignRole, type Principal, ROLES, SCOPES } from "../../domain/permissions.ts";
import { createApiKey, parseExpiry, revokeApiKey } from "../../services/auth/api-keys.ts";
import { verifyPassword } from "../../services/auth/passwords.ts";
import {
  changePassword,
  createUser,
  deleteUser,
  getUser,
  updateUser,
} from "../../services/auth/users.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { errors, json } from "../schemas.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const presentUser = (u: User) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  services: u.services,
  disabled: u.disabled,
  createdAt: iso(u.createdAt) as string,
});

export const presentKey = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scope: k.scope,
  service: k.service,
  userId: k.userId,
  expiresAt: iso(k.expiresAt),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
  createdAt: iso(k.createdAt) as string,
});

const UserSchema = z
  .object({
    id: z.number(),
    email: z.string(),
    role: z.enum(ROLES),
    services: z.array(z.string()).nullable(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("User");
const KeySchema = z
  .object({
    id: z.number(),
    name: z.string(),
    prefix: z.string(),
    scope: z.enum(SCOPES),
    service: z.string().nullable(),
    userId: z.number(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("ApiKey");
const AuditSchema = z
  .object({
    id: z.number(),
    at: z.string(),
    actorKind: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    result: z.enum(["ok", "denied", "failed"]),
    status: z.number().nullable(),
    ip: z.string().nullable(),
  })
  .openapi("AuditEvent");
const UserIdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .openapi({ param: { name: "id", in: "path" } }),
});
const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

/** Keys a principal may act on: their own, or everyone's with keys.manage. */
function assertKeyAccess(p: Principal, key: ApiKey) {
  if (key.userId !== p.userId && !can(p, "keys.manage"))
    throw notFound("key_not_found", `There is no API key ${key.id}.`);
}

export function authApi(app: Api, h: HttpDeps): void {
  const { deps } = h;

  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["account"],
      summary: "Who is asking: the user, and the key's scope when a key is used",
      responses: {
        200: json(
          z.object({
            user: UserSchema,
            via: z.enum(["user", "key"]),
            scope: z.string().nullable(),
          }),
          "Me",
        ),
      },
    }),
    (c) => {
      const p = c.get("principal") as Principal;
      return c.json(
        { user: presentUser(getUser(deps, p.userId)), via: p.kind, scope: p.scope ?? null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/me/password",
      tags: ["account"],
      summary: "Change your password; your other sessions end",
      request: jsonBody(z.object({ currentPassword: z.string(), password: z.string() })),
      responses: { 204: { description: "Changed" }, ...errors(400, 401, 422) },
    }),
    async (c) => {
      const p = c.get("principal") as Principal;
      if (p.kind !== "user")
        throw forbidden("Change a password while signed in, not with an API key.");
      const body = c.req.valid("json");
      if (!(await verifyPassword(getUser(deps, p.userId).passwordHash, body.currentPassword))) {
        throw forbidden("The current password is wrong.");
      }
      await changePassword(deps, p.userId, body.password, c.get("sessionId") ?? undefined);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/users",
      tags: ["users"],
      summary: "List users",
      middleware: [guard("users.manage")],
      responses: {
        200: json(z.object({ items: z.array(UserSchema) }), "Users"),
        ...errors(401, 403),
      },
    }),
    (c) => c.json({ items: deps.repos.users.list().map(presentUser) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/users",
      tags: ["users"],
      summary: "Create a user",
      middleware: [guard("users.manage")],
      request: jsonBody(
        z.object({
          email: z.string(),
          password: z.string(),
          role: z.enum(ROLES),
          services: z.array(z.string()).nullable().optional(),
        }),
      ),
      responses: { 201: json(UserSchema, "Created"), ...errors(400, 401, 403, 409, 422) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (!canAssignRole(c.get("principal") as Principal, body.role))
        throw forbidden("Only an owner can make owners.");
      return c.json(presentUser(await createUser(deps, body)), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/users/{id}",
      tags: ["users"],
      summary: "Change a user's role, service limit, or disable them (their sessions end)",
      middleware: [guard("users.manage")],
      request: {
        params: UserIdParam,
        ...jsonBody(
          z.object({
            role: z.enum(ROLES).optional(),
            disabled: z.boolean().optional(),
            services: z.array(z.string()).nullable().optional(),
          }),
        ),
      },
      responses: { 200: json(UserSchema, "Updated"), ...errors(400, 401, 403, 404, 409, 422) },
    }),
    (c) => {
      const p = c.get("principal") as Principal;
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const target = getUser(deps, id);
      if ((target.role === "owner" || body.role === "owner") && p.role !== "owner") {
        throw forbidden("Only an owner can change an owner or make one.");
      }
      return c.json(presentUser(updateUser(deps, id, body)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/users/{id}/password",
      tags: ["users"],
      summary: "Set a user's password; all their sessions end",
      middleware: [guard("users.manage")],
      request: { params: UserIdParam, ...jsonBody(z.object({ password: z.string() })) },
      responses: { 204: { description: "Changed" }, ...errors(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const p = c.get("principal") as Principal;
      const { id } = c.req.valid("param");
      if (getUser(deps, id).role === "owner" && p.role !== "owner")
        throw forbidden("Only an owner can do that to an owner.");
      await changePassword(
        deps,
        id,
        c.req.valid("json").password,
        id === p.userId ? (c.get("sessionId") ?? undefined) : undefined,
      );
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/users/{id}",
      tags: ["users"],
      summary: "Delete a user, their sessions and keys",
      middleware: [guard("users.manage")],
      request: { params: UserIdParam },
      responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404, 409) },
    }),
    (c) => {
      const p = c.get("principal") as Principal;
      const { id } = c.req.valid("param");
      if (getUser(deps, id).role === "owner" && p.role !== "owner")
        throw forbidden("Only an owner can delete an owner.");
      deleteUser(deps, id);
      return c.body(null, 204);
    },
  );

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

  app.openapi(
    createRoute({
      method: "get",
      path: "/audit",
      tags: ["audit"],
      summary: "The audit trail, newest first, filterable",
      middleware: [guard("audit.read")],
      request: {
        query: z.object({
          actor: z.string().optional(),
          action: z.string().optional(),
          target: z.string().optional(),
          result: z.enum(["ok", "denied", "failed"]).optional(),
          before: z.coerce.number().int().optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(AuditSchema), nextCursor: z.number().nullable() }),
          "Events",
        ),
        ...errors(400, 401, 403),
      },
    }),
    (c) => {
      const q = c.req.valid("query");
      const limit = q.limit ?? 100;
      const rows = deps.repos.audit.list({ ...q, limit: limit + 1 });
      const items = rows.slice(0, limit).map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
      return c.json(
        { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null },
        200,
      );
    },
  );
}
