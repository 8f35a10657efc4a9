import { Hono } from "hono";
import { DomainError } from "../domain/errors.ts";
import { uiAdmin } from "./auth/admin-ui.ts";
import { uiBuilds } from "./builds/builds-ui.ts";
import { clusterUi } from "./containers/cluster-ui.ts";
import { containersUi } from "./containers/containers-ui.ts";
import type { Env, HttpDeps } from "./context.ts";
import { dashboardUi } from "./dashboard/dashboard-ui.ts";
import { uiSettings } from "./edge/dns-settings-ui.ts";
import { uiDomains } from "./edge/domains-ui.ts";
import { htmlError } from "./error-pages.ts";
import { statusFor } from "./errors.ts";
import { jobsUi } from "./jobs/jobs-ui.ts";
import { uiDeployments } from "./releases/deployments-ui.ts";
import { uiEnvironments } from "./releases/environments-ui.ts";
import { uiHealth } from "./releases/health-ui.ts";
import { uiServices } from "./releases/services-ui.ts";
import { render } from "./render.ts";
import { errorsUi } from "./reports/errors-ui.ts";

/** The htmx web UI: server-rendered pages whose parts htmx swaps in place. */
export function uiRoutes(app: Hono<Env>, h: HttpDeps): void {
  const ui = new Hono<Env>();
  // the UI answers in HTML: a missing service is a page that says so, not JSON
  ui.onError((err, c) => {
    const known = err instanceof DomainError;
    if (!known) (c.get("log") ?? h.deps.logger).error({ err, path: c.req.path }, "unhandled error");
    if (known && err.kind === "unauthenticated") {
      const html = htmlError(c, err);
      if (html) return html;
    }
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
  containersUi(ui, h); // before uiEnvironments: a container environment has its own page
  const envPage = uiEnvironments(ui, h);
  uiDomains(ui, h, envPage);
  uiHealth(ui, h, envPage);
  uiBuilds(ui, h);
  uiDeployments(ui, h);
  uiAdmin(ui, h);
  uiSettings(ui, h);
  if (h.reports) errorsUi(ui, h, h.reports);
  if (h.dashboard) dashboardUi(ui, h, h.dashboard);
  clusterUi(ui, h);
  jobsUi(ui, h);
  app.route("/", ui);
}
