import { z } from "@hono/zod-openapi";

const BUILD_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "interrupted",
] as const;

const HookUrl = z.object({ url: z.string() });
const Hooks = z.object({ github: HookUrl, gitlab: HookUrl });

export const SourceSchema = z
  .object({
    service: z.string(),
    repoUrl: z.string(),
    authKind: z.enum(["none", "token", "ssh_key"]),
    credentialSet: z.boolean().openapi({ description: "A token or deploy key is stored." }),
    commands: z.array(z.string()),
    outputDir: z.string(),
    branches: z.record(z.string(), z.string()),
    variables: z.array(
      z.object({
        name: z.string(),
        value: z.string().nullable().openapi({ description: "null for a secret one" }),
        secret: z.boolean(),
      }),
    ),
    timeoutSeconds: z.number(),
    hooks: Hooks,
    updatedAt: z.string(),
    webhookSecret: z
      .string()
      .optional()
      .openapi({ description: "Only in the answer that created the source: shown once." }),
  })
  .openapi("GitSource");

export const SourceBody = z
  .object({
    repoUrl: z.string().openapi({ example: "https://github.com/acme/site.git" }),
    credential: z.string().optional().openapi({
      description:
        "An access token (https) or a private deploy key (ssh). Absent keeps the stored one; an empty string removes it.",
    }),
    commands: z
      .array(z.string())
      .openapi({ example: ["npm ci", "npm run build"], description: "Run in order." }),
    outputDir: z.string().default("dist"),
    branches: z
      .record(z.string(), z.string())
      .default({})
      .openapi({ example: { main: "production", develop: "staging" } }),
    variables: z
      .array(
        z.object({
          name: z.string(),
          value: z.string().optional().openapi({
            description: "Absent (or empty for a secret one) keeps the stored value.",
          }),
          secret: z.boolean().default(false),
        }),
      )
      .optional(),
    timeoutSeconds: z.number().int().optional().openapi({ example: 900 }),
  })
  .openapi("GitSourceInput");

export const WebhookSecretSchema = z
  .object({ secret: z.string(), github: HookUrl, gitlab: HookUrl })
  .openapi("WebhookSecret");

export const ArtifactSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    buildId: z.string().nullable(),
    commitSha: z.string().nullable(),
    bundle: z.object({ sha256: z.string(), format: z.literal("zip"), bytes: z.number() }),
    fileCount: z.number(),
    good: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("Artifact");

export const BuildSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    status: z.enum(BUILD_STATUSES),
    trigger: z.enum(["manual", "api", "github", "gitlab"]),
    triggeredBy: z.string().openapi({ example: "push by octocat" }),
    ref: z.string(),
    environment: z
      .string()
      .nullable()
      .openapi({ description: "Where a good build deploys; null when its ref is not mapped." }),
    commitSha: z.string().nullable(),
    commitMessage: z.string().nullable(),
    failure: z
      .object({
        command: z.string().nullable(),
        exitCode: z.number().nullable(),
        message: z.string().nullable(),
      })
      .nullable(),
    cancelRequested: z.boolean(),
    queuePosition: z
      .number()
      .nullable()
      .openapi({ description: "1 for the next build to start; null unless queued." }),
    durationMs: z
      .number()
      .nullable()
      .openapi({ description: "Start to end (so far, while running); null before it starts." }),
    artifact: ArtifactSchema.nullable(),
    deployment: z
      .object({ id: z.string(), status: z.string(), environment: z.string().nullable() })
      .nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("Build");

export const BuildLogLineSchema = z
  .object({
    id: z.number(),
    at: z.string(),
    stream: z.enum(["stdout", "stderr", "system"]),
    level: z.enum(["info", "warn", "error"]),
    message: z.string(),
  })
  .openapi("BuildLogLine");

export const QueueBuildBody = z
  .object({
    ref: z
      .string()
      .optional()
      .openapi({ description: "Branch, tag or commit; defaults to the first mapped branch." }),
  })
  .openapi("QueueBuild");

export const DeployArtifactBody = z
  .object({ environment: z.string().openapi({ example: "production" }) })
  .openapi("DeployArtifact");

export const HealthSchema = z
  .object({
    path: z.string().nullable(),
    status: z.number(),
    keyword: z.string().nullable(),
    timeoutMs: z.number(),
    retries: z.number(),
  })
  .openapi("HealthCheck");

export const HealthBody = z
  .object({
    path: z
      .string()
      .nullable()
      .openapi({ description: "A path starting with /; null removes the check." }),
    status: z.number().int().optional().openapi({ example: 200 }),
    keyword: z.string().nullable().optional(),
    timeoutMs: z.number().int().optional().openapi({ example: 5000 }),
    retries: z.number().int().optional().openapi({ example: 3 }),
  })
  .openapi("HealthCheckInput");
