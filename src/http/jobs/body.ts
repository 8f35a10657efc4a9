import type { Context } from "hono";
import { z } from "zod";
import { invalid, tooLarge, unprocessable } from "../../domain/errors.ts";
import { CATCH_UP, CONCURRENCY, PARAM_TYPES } from "../../domain/jobs/jobs.ts";

const MAX = 512 * 1024;

/** A bounded JSON body checked against a schema: 400 if not JSON, 422 naming the field. */
export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  if (Number(c.req.header("content-length") ?? 0) > MAX)
    throw tooLarge("body_too_large", "The request body is too large.");
  const text = await c.req.text();
  if (text.length > MAX) throw tooLarge("body_too_large", "The request body is too large.");
  let body: unknown;
  try {
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw invalid("malformed_json", "The body is not JSON.");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue?.path
        .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`))
        .join("") || undefined;
    throw unprocessable(
      "invalid_field",
      `${field ? `${field}: ` : ""}${issue?.message ?? "invalid"}`,
      field,
    );
  }
  return parsed.data;
}

const Param = z.strictObject({
  name: z.string(),
  type: z.enum(PARAM_TYPES),
  required: z.boolean().default(false),
  default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  choices: z.array(z.string().max(200)).max(100).optional(),
  pattern: z.string().max(500).optional(),
  help: z.string().max(1000).optional(),
});

export const TemplateBody = z.strictObject({
  name: z.string().max(100),
  description: z.string().max(2000).optional(),
  interpreter: z.string().max(200),
  body: z.string(),
  params: z.array(Param).max(50).optional(),
});
export const TemplateEdit = TemplateBody.omit({ name: true });

export const JobBody = z.strictObject({
  name: z.string().max(100),
  description: z.string().max(2000).optional(),
  template: z.string().max(100),
  version: z.number().int().positive().nullable().optional(),
  args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  category: z.string().max(40).optional(),
  tags: z.array(z.string()).max(20).optional(),
  cron: z.string().max(200).nullable().optional(),
  timezone: z.string().max(100).optional(),
  catchUp: z.enum(CATCH_UP).optional(),
  concurrency: z.enum(CONCURRENCY).optional(),
  timeoutSeconds: z.number().int().optional(),
  retries: z.number().int().optional(),
  retryDelaySeconds: z.number().int().optional(),
  outputCapBytes: z.number().int().optional(),
  retention: z.number().int().optional(),
  scheduleEnabled: z.boolean().optional(),
});
export const JobEdit = JobBody.omit({ name: true });

export const Reason = z.object({ reason: z.string().max(500).optional() });
