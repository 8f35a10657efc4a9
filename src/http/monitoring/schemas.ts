import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { unprocessable } from "../../domain/errors.ts";
import {
  HTTP_METHODS,
  MONITOR_KINDS,
  MONITOR_STATUSES,
} from "../../domain/monitoring/monitoring.ts";

/** A body that parses but breaks a rule is unacceptable content: 422 with the field. */
export const unprocessableHook = (
  result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } },
  _c: Context,
): undefined => {
  if (result.success) return undefined;
  const issue = result.error?.issues[0];
  const field = issue?.path.map(String).join(".") || undefined;
  const message = issue
    ? `${field ? `${field}: ` : ""}${issue.message}`
    : "The request is not valid.";
  throw unprocessable("invalid_field", message, field);
};

const seconds = (max: number) => z.number().int().min(1).max(max);

export const MonitorBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    kind: z.enum(MONITOR_KINDS),
    url: z.string().max(2000).nullable().optional(),
    host: z
      .string()
      .max(253)
      .regex(/^[A-Za-z0-9.:-]+$/, "a host name or IP address")
      .nullable()
      .optional(),
    port: z.number().int().min(1).max(65535).nullable().optional(),
    service: z.string().max(30).nullable().optional(),
    environment: z.string().max(30).nullable().optional(),
    method: z.enum(HTTP_METHODS).optional(),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(1000))
      .refine((h) => Object.keys(h).length <= 20, "at most 20 headers")
      .optional(),
    body: z.string().max(10_000).nullable().optional(),
    interval: seconds(86_400)
      .optional()
      .openapi({ description: "Seconds between checks (default 60)" }),
    fastInterval: seconds(3_600)
      .optional()
      .openapi({ description: "Seconds between checks while failing or suspect (default 10)" }),
    failuresBeforeDown: z.number().int().min(1).max(20).optional(),
    successesBeforeUp: z.number().int().min(1).max(20).optional(),
    expectedStatus: z.number().int().min(100).max(599).optional(),
    keyword: z.string().min(1).max(200).nullable().optional(),
    keywordAbsent: z.boolean().optional(),
    timeoutMs: z.number().int().min(100).max(60_000).optional(),
    certExpiryDays: z.number().int().min(1).max(90).optional(),
  })
  .strict()
  .openapi("MonitorInput");

export const MonitorPatchBody = MonitorBody.partial().strict().openapi("MonitorPatch");

const Uptime = z.object({
  h24: z.number().nullable(),
  d7: z.number().nullable(),
  d30: z.number().nullable(),
});

export const MonitorSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    kind: z.enum(MONITOR_KINDS),
    url: z.string().nullable(),
    host: z.string().nullable(),
    port: z.number().nullable(),
    service: z.string().nullable(),
    environment: z.string().nullable(),
    auto: z.boolean(),
    method: z.string(),
    interval: z.number(),
    fastInterval: z.number(),
    failuresBeforeDown: z.number(),
    successesBeforeUp: z.number(),
    expectedStatus: z.number(),
    keyword: z.string().nullable(),
    keywordAbsent: z.boolean(),
    timeoutMs: z.number(),
    paused: z.boolean(),
    status: z.enum(MONITOR_STATUSES),
    createdAt: z.string(),
    uptime: Uptime.optional(),
    p50Ms: z.number().nullable().optional(),
    p95Ms: z.number().nullable().optional(),
    pushUrl: z
      .string()
      .optional()
      .openapi({ description: "Only in the answer that created a push monitor" }),
  })
  .openapi("Monitor");

export const CheckSchema = z
  .object({
    at: z.string(),
    ok: z.boolean(),
    latencyMs: z.number(),
    code: z.number().nullable(),
    message: z.string(),
  })
  .openapi("MonitorCheck");

export const IncidentSchema = z
  .object({
    id: z.string(),
    monitorId: z.number(),
    monitor: z.string(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    message: z.string(),
    deploymentId: z.string().nullable(),
    buildId: z.string().nullable(),
    context: z.string().nullable(),
    suppressed: z.boolean(),
  })
  .openapi("Incident");

export const WindowBody = z
  .object({
    monitorId: z.number().int().nullable().optional(),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    note: z.string().max(500).optional(),
  })
  .strict()
  .openapi("MaintenanceWindowInput");

export const NumId = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
});
