import { z } from "@hono/zod-openapi";
import {
  DEPLOYMENT_SOURCES,
  DEPLOYMENT_STATUSES,
  SERVICE_KINDS,
} from "../domain/releases/deployment.ts";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "service_not_found" }),
      message: z.string().openapi({ example: 'There is no service named "site".' }),
      field: z.string().optional(),
    }),
  })
  .openapi("Error");

const name = z.string().openapi({ example: "site" });

export const ServiceParam = z.object({
  service: name.openapi({ param: { name: "service", in: "path" } }),
});
export const EnvParam = ServiceParam.extend({
  env: z.string().openapi({ param: { name: "env", in: "path" }, example: "production" }),
});
export const IdParam = z.object({
  id: z
    .string()
    .openapi({ param: { name: "id", in: "path" }, example: "01jd3k9x7m2q4r5s6t7v8w9x0y" }),
});

export const DeploymentSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    environment: z.string(),
    status: z.enum(DEPLOYMENT_STATUSES),
    source: z.enum(DEPLOYMENT_SOURCES),
    artifactId: z.string().nullable(),
    redeployOf: z.string().nullable(),
    message: z.string().nullable(),
    commit: z.string().nullable(),
    stripFolder: z.boolean().openapi({
      description: "The bundle's one top-level folder is served as the site's root.",
    }),
    bundle: z.object({ sha256: z.string(), format: z.enum(["zip", "tar.gz"]), bytes: z.number() }),
    fileCount: z.number().nullable(),
    totalBytes: z.number().nullable(),
    failure: z
      .object({ stage: z.string(), code: z.string().nullable(), message: z.string().nullable() })
      .nullable(),
    onDisk: z.boolean().openapi({ description: "The release is on disk: a rollback target." }),
    previewUrl: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    activatedAt: z.string().nullable(),
  })
  .openapi("Deployment");

export const EnvironmentSchema = z
  .object({
    name: z.string(),
    service: z.string(),
    url: z.string(),
    retention: z.number(),
    spaFallback: z.boolean(),
    live: DeploymentSchema.nullable(),
    createdAt: z.string(),
  })
  .openapi("Environment");

export const ServiceSchema = z
  .object({
    name: z.string(),
    kind: z.enum(SERVICE_KINDS),
    environments: z.array(EnvironmentSchema),
    createdAt: z.string(),
  })
  .openapi("Service");

export const LogLineSchema = z
  .object({
    id: z.number(),
    at: z.string(),
    step: z.string(),
    level: z.enum(["info", "warn", "error"]),
    message: z.string(),
  })
  .openapi("LogLine");

export const CreateServiceBody = z
  .object({
    name: z.string().openapi({ example: "site" }),
    kind: z.enum(SERVICE_KINDS).optional(),
    environments: z
      .array(z.string())
      .optional()
      .openapi({ example: ["production", "staging"] }),
  })
  .openapi("CreateService");

export const CreateEnvironmentBody = z
  .object({
    name: z.string().openapi({ example: "staging" }),
    retention: z.number().int().optional(),
    spaFallback: z.boolean().optional(),
  })
  .openapi("CreateEnvironment");

export const UpdateEnvironmentBody = z
  .object({ retention: z.number().int().optional(), spaFallback: z.boolean().optional() })
  .openapi("UpdateEnvironment");

export const RollbackBody = z
  .object({
    deploymentId: z.string().optional().openapi({
      description:
        "The deployment to make live again (an earlier release of this environment). Leave the body empty to go back to the release before the live one.",
      example: "01JB8Z3Q9W6V5X4T2R1N0M7K5H",
    }),
  })
  .openapi("Rollback", { example: {} });

export const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: "Error", content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const PAGE_MAX = 100;

/** `?limit=&before=`: newest first, `before` is the previous page's nextCursor. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_MAX).optional(),
  before: z.string().optional().openapi({ description: "The nextCursor of the previous page" }),
});

export const pageOf = <T extends z.ZodType>(item: T, description: string) =>
  json(z.object({ items: z.array(item), nextCursor: z.string().nullable() }), description);

/** A page from `limit + 1` rows: the extra row only says there is more. */
export function paged<R extends { id: string }, T>(rows: R[], limit: number, present: (r: R) => T) {
  const page = rows.slice(0, limit);
  return {
    items: page.map(present),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** A log route's answer: the stored lines as JSON, or a live Server-Sent Events stream. */
export const logResponses = <T extends z.ZodType>(line: T) => ({
  200: {
    description: "The log",
    content: {
      "application/json": { schema: z.object({ status: z.string(), lines: z.array(line) }) },
      "text/event-stream": { schema: z.string() },
    },
  },
  ...errors(404),
});
