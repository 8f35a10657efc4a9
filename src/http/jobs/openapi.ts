import { z } from "@hono/zod-openapi";
import type { Api } from "../context.ts";
import { errors } from "../schemas.ts";
import { JobBody, JobEdit, Reason, TemplateBody, TemplateEdit } from "./body.ts";

type Doc = [
  method: "get" | "post" | "put" | "delete",
  path: string,
  summary: string,
  perm: string,
  ok: number,
  body?: z.ZodType,
];

const RunRequest = z.object({
  args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  runAt: z.string().optional().openapi({ description: "ISO 8601; not in the past" }),
  delaySeconds: z.number().int().optional(),
});

const DOCS: Doc[] = [
  ["get", "/templates", "List script templates", "jobs.read", 200],
  ["post", "/templates", "Create a template (version 1)", "templates.write", 201, TemplateBody],
  ["get", "/templates/{name}", "Show a template at its latest version", "jobs.read", 200],
  [
    "put",
    "/templates/{name}",
    "Edit a template: makes a new version",
    "templates.write",
    200,
    TemplateEdit,
  ],
  ["delete", "/templates/{name}", "Delete a template no job uses", "templates.write", 204],
  [
    "get",
    "/templates/{name}/versions",
    "Every version of a template, newest first",
    "jobs.read",
    200,
  ],
  ["get", "/templates/{name}/versions/{version}", "One version of a template", "jobs.read", 200],
  ["get", "/jobs", "List jobs, with counts of outcomes per category", "jobs.read", 200],
  ["post", "/jobs", "Create a job", "jobs.write", 201, JobBody],
  ["get", "/jobs/{job}", "Show a job, its next run and last result", "jobs.read", 200],
  ["put", "/jobs/{job}", "Change a job", "jobs.write", 200, JobEdit],
  ["delete", "/jobs/{job}", "Delete a job and its runs", "jobs.write", 204],
  [
    "post",
    "/jobs/{job}/schedule/pause",
    "Pause a job's schedule, with a reason",
    "jobs.write",
    200,
    Reason,
  ],
  ["post", "/jobs/{job}/schedule/resume", "Resume a job's schedule", "jobs.write", 200],
  ["get", "/scheduling", "Whether scheduling of every job is paused", "jobs.read", 200],
  ["post", "/scheduling/pause", "Pause the scheduling of every job", "jobs.write", 200, Reason],
  ["post", "/scheduling/resume", "Resume the scheduling of every job", "jobs.write", 200],
  [
    "post",
    "/jobs/{job}/runs",
    "Start a run (JSON, or multipart with a field per file parameter); header X-Berth-Client: cli marks it as started by the CLI",
    "jobs.run",
    202,
    RunRequest,
  ],
  [
    "get",
    "/jobs/{job}/runs",
    "A job's runs, newest first (same filters as /runs)",
    "jobs.read",
    200,
  ],
  [
    "get",
    "/runs",
    "Runs: ?status=a,b&job&category&tag&who&from&to&q (full text over output)&before&limit",
    "jobs.read",
    200,
  ],
  ["get", "/runs/{id}", "Show a run (secret arguments as ***)", "jobs.read", 200],
  [
    "get",
    "/runs/{id}/log",
    "Output: a slice as JSON (?offset, negative from the end, &length ≤ 1 MiB), or live SSE with Accept: text/event-stream (events output with the byte offset after it as id, status, end; Last-Event-ID resumes)",
    "jobs.read",
    200,
  ],
  ["get", "/runs/{id}/output", "The stored output, raw", "jobs.read", 200],
  ["get", "/runs/{id}/files/{param}", "A file given to the run", "jobs.read", 200],
  [
    "post",
    "/runs/{id}/cancel",
    "Cancel: a waiting run at once, a running one by SIGTERM then SIGKILL",
    "jobs.run",
    202,
  ],
  ["post", "/runs/{id}/pause", "Pause every process of a running run", "jobs.run", 202],
  ["post", "/runs/{id}/resume", "Resume a paused run", "jobs.run", 202],
  [
    "post",
    "/runs/{id}/rerun",
    "Run again with the same version, arguments and files",
    "jobs.run",
    202,
  ],
];

/** The jobs routes in the OpenAPI document (the handlers are plain Hono routes). */
export function documentJobs(app: Api): void {
  for (const [method, path, summary, perm, ok, body] of DOCS) {
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    app.openAPIRegistry.registerPath({
      method,
      path,
      tags: [
        path.startsWith("/templates") ? "templates" : path.startsWith("/runs") ? "runs" : "jobs",
      ],
      summary,
      description: `Permission: \`${perm}\`.`,
      request: {
        ...(params.length
          ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) }
          : {}),
        ...(body ? { body: { content: { "application/json": { schema: body } } } } : {}),
      },
      responses: { [ok]: { description: "OK" }, ...errors(403, 404, 409, 422) },
    });
  }
}
