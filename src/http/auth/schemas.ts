import { z } from "@hono/zod-openapi";
import type { ApiKey, User } from "../../domain/auth/auth-types.ts";
import { ROLES, SCOPES } from "../../domain/auth/permissions.ts";

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

export const UserSchema = z
  .object({
    id: z.number(),
    email: z.string(),
    role: z.enum(ROLES),
    services: z.array(z.string()).nullable(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("User");
export const KeySchema = z
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
export const AuditSchema = z
  .object({
    id: z.number(),
    at: z.string(),
    actorKind: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    request: z.string().nullable(),
    result: z.enum(["ok", "denied", "failed"]),
    status: z.number().nullable(),
    ip: z.string().nullable(),
  })
  .openapi("AuditEvent");
export const UserIdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .openapi({ param: { name: "id", in: "path" } }),
});
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
