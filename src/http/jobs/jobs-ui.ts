import fs from "node:fs";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { categories } from "../../services/jobs/find.ts";
import { getJob, schedulingPaused } from "../../services/jobs/jobs.ts";
import { startRun } from "../../services/jobs/runs.ts";
import { getTemplate, templateVersion } from "../../services/jobs/templates.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { render } from "../render.ts";
import { attempt, type FieldErrors, type Ui } from "../ui-shared.ts";
import { jobAbilities } from "./abilities.ts";
import { triggerOf } from "./jobs-api.ts";
import { runView } from "./present.ts";
import { readRunBody } from "./run-body.ts";
import { runsUi } from "./runs-ui.ts";
import { templatesUi } from "./templates-ui.ts";

const HISTORY = 30;

/** The jobs pages: the list by category, a job with its run form and history. */
export function jobsUi(ui: Ui, h: HttpDeps): void {
  const { deps } = h;
  runsUi(ui, h);
  templatesUi(ui, h);

  ui.get("/jobs", guard("jobs.read"), (c) => {
    const all = deps.jobs.repos.jobs.list();
    const cats = categories(deps).map((cat) => ({
      ...cat,
      jobs: all
        .filter((j) => j.category === cat.name)
        .map((j) => ({
          name: j.name,
          tags: j.tags,
          cron: j.cron,
          next: j.cron && j.scheduleEnabled ? j.nextFireAt : null,
          pausedReason: j.schedulePausedReason,
          last: deps.jobs.repos.runs.last(j.id),
        })),
    }));
    return render(c, {
      page: "pages/jobs/index.njk",
      partial: "pages/jobs/index.njk",
      ctx: {
        title: "Jobs",
        nav: "jobs",
        categories: cats.filter((x) => x.jobs.length > 0),
        scheduling: schedulingPaused(deps),
        can: jobAbilities(c),
      },
    });
  });

  const jobPage = (
    c: Context<Env>,
    name: string,
    form: { values: Record<string, unknown>; errors: FieldErrors } = { values: {}, errors: {} },
    status: ContentfulStatusCode = 200,
  ) => {
    const job = getJob(deps, name);
    const template = deps.jobs.repos.templates.byId(job.templateId);
    const version = template && templateVersion(deps, template, job.pinnedVersion ?? undefined);
    const runs = deps.jobs.repos.runs.list({ jobId: job.id, limit: HISTORY });
    const defaults = Object.fromEntries(
      (version?.params ?? []).map((p) => [
        p.name,
        job.args[p.name]?.startsWith("enc:") ? "" : (job.args[p.name] ?? p.default ?? ""),
      ]),
    );
    return render(c, {
      page: "pages/jobs/job.njk",
      partial: "partials/jobs/_run_form.njk",
      status,
      ctx: {
        title: `Job ${job.name}`,
        nav: "jobs",
        job,
        template: template ?? getTemplate(deps, ""),
        params: version?.params ?? [],
        values: { ...defaults, ...form.values },
        errors: form.errors,
        runs: runs.map((r) => runView(deps, r)),
        can: jobAbilities(c),
      },
    });
  };

  ui.get("/jobs/:job", guard("jobs.read"), (c) => jobPage(c, c.req.param("job")));

  ui.post("/jobs/:job/run", guard("jobs.run"), async (c) => {
    const name = c.req.param("job");
    getJob(deps, name);
    const result = await attempt(async () => {
      const body = await readRunBody(c.req.raw, deps.jobs.limits.maxFileBytes);
      try {
        return startRun(deps, name, { ...body, runAt: body.runAt || undefined, ...triggerOf(c) });
      } finally {
        if (body.tmp) fs.rmSync(body.tmp, { recursive: true, force: true });
      }
    });
    if (result.ok) return c.redirect(`/runs/${result.value.id}`, 303);
    return jobPage(c, name, { values: {}, errors: result.errors }, 422);
  });
}
