import { Hono } from "hono";
import { DomainError } from "../../domain/errors.ts";
import type { Env, HttpDeps } from "../context.ts";
import { statusFor } from "../errors.ts";
import { jobsUi } from "../jobs/jobs-ui.ts";
import { render } from "../render.ts";
import { uiAdmin } from "./ui-admin.ts";
import { uiBuilds } from "./ui-builds.ts";
import { uiDeployments } from "./ui-deployments.ts";
import { uiDomains } from "./ui-domains.ts";
import { uiEnvironments } from "./ui-environments.ts";
import { uiHealth } from "./ui-health.ts";
import { uiServices } from "./ui-services.ts";
import { uiSettings } from "./ui-settings.ts";

/** The htmx web UI: server-rendered pages whose parts htmx swaps in place. */
export function uiRoutes(app: Hono<Env>, h: HttpDeps): void {
  const ui = new Hono<Env>();
  // the UI answers in HTML: a missing service is a page that says so, not JSON
  ui.onError((err, c) => {
    const known = err instanceof DomainError;
    if (!known) (c.get("log") ?? h.deps.logger).error({ err, path: c.req.path }, "unhandled error");
    const status = known ? statusFor(err) : 500;
    const message = known ? err.message : "Something went wrong on the server.";
    return render(c, {
      page: "pages/error.njk",
      partial: "partials/_error.njk",
      ctx: { status, message, title: status === 404 ? "Not found" : "Something went wrong" },
      status,
    });
  });
  uiServices(ui, h);
  const envPage = uiEnvironments(ui, h);
  uiDomains(ui, h, envPage);
  uiHealth(ui, h, envPage);
  uiBuilds(ui, h);
  uiDeployments(ui, h);
  uiAdmin(ui, h);
  uiSettings(ui, h);
  jobsUi(ui, h);
  app.route("/", ui);
}
