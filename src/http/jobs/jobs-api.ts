import fs from "node:fs";
import type { Context } from "hono";
import type { Principal } from "../../domain/auth/permissions.ts";
import type { Trigger } from "../../domain/jobs/jobs.ts";
import { categories, findRuns } from "../../services/jobs/find.ts";
import {
  createJob,
  deleteJob,
  getJob,
  schedulingPaused,
  setJobSchedule,
  setScheduling,
  updateJob,
} from "../../services/jobs/jobs.ts";
import { startRun } from "../../services/jobs/runs.ts";
import type { Api, Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { JobBody, JobEdit, Reason, readJson } from "./body.ts";
import { documentJobs } from "./openapi.ts";
import { presentJob, presentRun } from "./present.ts";
import { readRunBody } from "./run-body.ts";
import { runQuery } from "./runs-api.ts";

/** Who started a run, as the run records it. */
export function triggerOf(c: Context<Env>): { trigger: Trigger; by: string } {
  const p = c.get("principal") as Principal;
  if (c.req.header("x-berth-client") === "cli") return { trigger: "cli", by: p.label };
  return { trigger: p.kind === "key" ? "key" : "user", by: p.label };
}

/** Jobs: `/api/v1/jobs`, their schedules, and starting runs. */
export function jobsApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  documentJobs(app);

  app.get("/jobs", guard("jobs.read"), (c) => {
    const category = c.req.query("category");
    const jobs = deps.jobs.repos.jobs.list().filter((j) => !category || j.category === category);
    return c.json({
      items: jobs.map((j) => presentJob(deps, j)),
      categories: categories(deps),
      scheduling: schedulingPaused(deps),
    });
  });
  app.post("/jobs", guard("jobs.write"), async (c) => {
    const job = createJob(deps, await readJson(c, JobBody));
    c.header("Location", `/api/v1/jobs/${job.name}`);
    return c.json(presentJob(deps, job), 201);
  });
  app.get("/jobs/:job", guard("jobs.read"), (c) =>
    c.json(presentJob(deps, getJob(deps, c.req.param("job")))),
  );
  app.put("/jobs/:job", guard("jobs.write"), async (c) => {
    const job = updateJob(deps, c.req.param("job"), await readJson(c, JobEdit));
    return c.json(presentJob(deps, job));
  });
  app.delete("/jobs/:job", guard("jobs.write"), (c) => {
    deleteJob(deps, c.req.param("job"));
    return c.body(null, 204);
  });
  app.post("/jobs/:job/schedule/pause", guard("jobs.write"), async (c) => {
    const { reason } = await readJson(c, Reason);
    return c.json(presentJob(deps, setJobSchedule(deps, c.req.param("job"), false, reason)));
  });
  app.post("/jobs/:job/schedule/resume", guard("jobs.write"), (c) =>
    c.json(presentJob(deps, setJobSchedule(deps, c.req.param("job"), true))),
  );
  app.get("/scheduling", guard("jobs.read"), (c) => c.json(schedulingPaused(deps)));
  app.post("/scheduling/pause", guard("jobs.write"), async (c) => {
    const { reason } = await readJson(c, Reason);
    return c.json(setScheduling(deps, true, reason));
  });
  app.post("/scheduling/resume", guard("jobs.write"), (c) => c.json(setScheduling(deps, false)));

  app.post("/jobs/:job/runs", guard("jobs.run"), async (c) => {
    const name = c.req.param("job");
    getJob(deps, name); // 404 before reading any file
    const body = await readRunBody(c.req.raw, deps.jobs.limits.maxFileBytes);
    try {
      const run = startRun(deps, name, { ...body, ...triggerOf(c) });
      c.header("Location", `/api/v1/runs/${run.id}`);
      return c.json(presentRun(deps, run), 202);
    } finally {
      if (body.tmp) fs.rmSync(body.tmp, { recursive: true, force: true });
    }
  });
  app.get("/jobs/:job/runs", guard("jobs.read"), (c) => {
    getJob(deps, c.req.param("job"));
    const runs = findRuns(deps, { ...runQuery(c), job: c.req.param("job") });
    return c.json({ items: runs.map((r) => presentRun(deps, r)) });
  });
}
