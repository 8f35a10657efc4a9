import { createRoute, z } from "@hono/zod-openapi";
import type { Api, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { errors, json } from "../schemas.ts";
import { AuditSchema } from "./schemas.ts";

/** The audit trail. */
export function auditApi(app: Api, h: HttpDeps): void {
  const { deps } = h;

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
