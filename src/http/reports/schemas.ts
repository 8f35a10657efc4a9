import { z } from "@hono/zod-openapi";
import { type ErrorGroup, GROUP_STATUSES, REPORT_LEVELS } from "../../domain/reports/reports.ts";

export const ReportingSchema = z
  .object({
    dsn: z.string().openapi({ example: "http://3f2a...@berth.example.com/1" }),
    storeUrl: z.string(),
    envelopeUrl: z.string(),
  })
  .openapi("Reporting");

export const GroupSchema = z
  .object({
    id: z.number(),
    service: z.string(),
    title: z.string(),
    culprit: z.string(),
    level: z.enum(REPORT_LEVELS),
    status: z.enum(GROUP_STATUSES),
    regressed: z.boolean(),
    count: z.number(),
    users: z.number(),
    environments: z.array(z.string()),
    firstRelease: z.string().nullable(),
    lastRelease: z.string().nullable(),
    firstSeen: z.string(),
    lastSeen: z.string(),
  })
  .openapi("ErrorGroup");

export const GroupQuery = z.object({
  status: z.enum(GROUP_STATUSES).optional(),
  environment: z.string().max(64).optional(),
  release: z.string().max(200).optional(),
  q: z.string().max(200).optional(),
});

export const PlainReportSchema = z
  .object({
    message: z.string().min(1).max(8000),
    level: z.enum(REPORT_LEVELS).optional(),
    stack: z.string().max(64_000).optional(),
    release: z.string().max(200).optional(),
    environment: z.string().max(64).optional(),
    tags: z.record(z.string().max(200), z.string().max(500)).optional(),
  })
  .openapi("PlainReport");

export const StatusBody = z.object({ status: z.enum(GROUP_STATUSES) });

const iso = (ms: number) => new Date(ms).toISOString();

export function presentGroup(g: ErrorGroup, service: string) {
  return {
    id: g.id,
    service,
    title: g.title,
    culprit: g.culprit,
    level: g.level,
    status: g.status,
    regressed: g.regressed,
    count: g.count,
    users: g.users,
    environments: g.environments,
    firstRelease: g.firstRelease,
    lastRelease: g.lastRelease,
    firstSeen: iso(g.firstSeen),
    lastSeen: iso(g.lastSeen),
  };
}
