import { createRoute, z } from "@hono/zod-openapi";
import { canAssignRole, type Principal, ROLES } from "../../domain/auth/permissions.ts";
import { forbidden } from "../../domain/errors.ts";
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
import { errors, json, PAGE_MAX } from "../schemas.ts";
import { jsonBody, presentUser, UserIdParam, UserSchema } from "./schemas.ts";

/** Users, and your own account (/me). */
export function usersApi(app: Api, h: HttpDeps): void {
  const { deps } = h;

  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      middleware: [guard("signed-in")],
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
      middleware: [guard("session")],
      tags: ["account"],
      summary: "Change your password; your other sessions end",
      request: jsonBody(z.object({ currentPassword: z.string(), password: z.string() })),
      responses: { 204: { description: "Changed" }, ...errors(400, 401, 422) },
    }),
    async (c) => {
      const p = c.get("principal") as Principal;
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
      summary: "List users by email, a page at a time",
      middleware: [guard("users.manage")],
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(PAGE_MAX).optional(),
          after: z
            .string()
            .max(320)
            .optional()
            .openapi({ description: "The nextCursor of the previous page" }),
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(UserSchema), nextCursor: z.string().nullable() }),
          "Users",
        ),
        ...errors(400, 401, 403),
      },
    }),
    (c) => {
      const q = c.req.valid("query");
      const limit = q.limit ?? PAGE_MAX;
      const rows = deps.repos.users.list({ after: q.after, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? (page.at(-1)?.email ?? null) : null;
      return c.json({ items: page.map(presentUser), nextCursor }, 200);
    },
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
      c.set("audited", body.email);
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
}
