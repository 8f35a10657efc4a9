import { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { DomainError, notFound } from "../domain/errors.ts";
import { createDashboard } from "../services/dashboard/index.ts";
import { createReports } from "../services/reports/core.ts";
import { defaultReportSettings } from "../services/reports/settings.ts";
import { auditApi } from "./auth/audit-api.ts";
import { keysApi } from "./auth/keys-api.ts";
import { authRoutes } from "./auth/sign-in-ui.ts";
import { usersApi } from "./auth/users-api.ts";
import { bodyRoutes } from "./body-routes.ts";
import { buildsApi } from "./builds/builds-api.ts";
import { hookRoutes } from "./builds/hooks-api.ts";
import { clusterApi } from "./containers/cluster-api.ts";
import { containersApi } from "./containers/containers-api.ts";
import { operateApi } from "./containers/operate-api.ts";
import type { Api, Env, HttpDeps } from "./context.ts";
import { certificatesApi } from "./edge/certificates-api.ts";
import { settingsApi } from "./edge/dns-settings-api.ts";
import { domainsApi } from "./edge/domains-api.ts";
import { htmlError } from "./error-pages.ts";
import { errorBody, toErrorResponse } from "./errors.ts";
import { jobsApi } from "./jobs/jobs-api.ts";
import { runsApi } from "./jobs/runs-api.ts";
import { templatesApi } from "./jobs/templates-api.ts";
import { auditTrail, csrfGuard, guard, requireSignIn } from "./middleware/access.ts";
import { authenticate, sessionCookie } from "./middleware/auth.ts";
import { bodyLimit } from "./middleware/body-limit.ts";
import { requestLog } from "./middleware/request-log.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { envMonitoringUi } from "./monitoring/env-card.ts";
import { envMonitoringApi } from "./monitoring/env-monitoring-api.ts";
import { incidentsApi } from "./monitoring/incidents-api.ts";
import { countRequests, metricsRoute } from "./monitoring/metrics-route.ts";
import { monitorsApi } from "./monitoring/monitors-api.ts";
import { monitorsUi } from "./monitoring/monitors-ui.ts";
import { monitoringPublicRoutes } from "./monitoring/public-routes.ts";
import { channelsApi } from "./notify/channels-api.ts";
import { channelsUi } from "./notify/channels-ui.ts";
import { deploymentsApi } from "./releases/deployments-api.ts";
import { servicesApi } from "./releases/services-api.ts";
import { reportIngestRoutes } from "./reports/ingest-routes.ts";
import { reportsApi } from "./reports/reports-api.ts";
import { siteResponder } from "./sites/responder.ts";
import { systemRoutes } from "./system.ts";
import { uiRoutes } from "./ui.ts";

export function createApp(given: HttpDeps): Hono<Env> {
  // error reports and the dashboard: main.ts passes its own, tests get defaults
  const reports = given.reports ?? createReports(given.deps, defaultReportSettings);
  const h: HttpDeps = {
    ...given,
    reports,
    dashboard: given.dashboard ?? createDashboard(given.deps, reports),
  };
  const logger = h.deps.logger;
  const app = new Hono<Env>();
  const site = siteResponder(h);
  // sites first: they are the hot path and carry no API semantics
  app.use("*", async (c, next) => {
    const served = site(c);
    if (served) return served;
    await next();
  });
  // every body is bounded before anything reads it: /login included, signed in or not
  app.use("*", securityHeaders());
  app.use("*", bodyLimit(bodyRoutes(h.deps.limits, reports.settings.maxEnvelopeBytes)));
  app.onError((err, c) => {
    const log = c.get("log") ?? logger;
    const html = htmlError(c, err);
    if (!html) return toErrorResponse(err, c, log);
    if (!(err instanceof DomainError) && !(err instanceof HTTPException))
      log.error({ err, path: c.req.path }, "unhandled error");
    return html;
  });
  // error reports: the DSN key authenticates each event, so the intake runs ahead of the
  // request log, sign-in and the audit trail (an event is not an action worth a row)
  reportIngestRoutes(app, reports);
  app.use("*", requestLog(logger));
  app.use("*", countRequests(h.deps.metrics));
  const cookie = sessionCookie(h.publicUrl);
  app.use("*", authenticate(h.deps, cookie, h.trustedProxies ?? []));
  app.use("*", requireSignIn());
  app.use("*", csrfGuard(new URL(h.publicUrl).origin));
  app.use("*", auditTrail(h.deps));

  const api: Api = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const field = issue?.path.join(".") || undefined;
        const message = issue
          ? `${field ? `${field}: ` : ""}${issue.message}`
          : "The request is not valid.";
        return c.json(errorBody("invalid_request", message, field), 400);
      }
    },
  });
  servicesApi(api, h);
  // containers: before deploymentsApi, whose POST .../deployments takes bundles
  containersApi(api, h);
  operateApi(api, h);
  clusterApi(api, h);
  deploymentsApi(api, h);
  buildsApi(api, h);
  domainsApi(api, h);
  certificatesApi(api, h);
  usersApi(api, h);
  keysApi(api, h);
  auditApi(api, h);
  settingsApi(api, h);
  reportsApi(api, h, reports);
  // jobs: script templates, jobs, runs
  templatesApi(api, h);
  jobsApi(api, h);
  runsApi(api, h);
  // monitoring and notifications
  monitorsApi(api, h);
  incidentsApi(api, h);
  envMonitoringApi(api, h);
  channelsApi(api, h);
  api.notFound((c) =>
    c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}.`), 404),
  );
  // every API route takes an API key: Swagger UI shows Authorize for it
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key (berth_…), created under API keys or with `berth key create`.",
  });
  app.route("/api/v1", api);
  // built once, on first request: generating it takes 50-140 ms of the event loop
  let openapi: ReturnType<typeof api.getOpenAPI31Document> | undefined;
  app.get("/api/openapi.json", guard("signed-in"), (c) => {
    openapi ??= api.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Berth API",
        version: "1",
        description:
          "Deploy static sites to named environments, follow the release log, roll back.",
      },
      servers: [{ url: "/api/v1" }],
      security: [{ bearer: [] }],
    });
    return c.json(openapi);
  });
  systemRoutes(app);
  hookRoutes(app, h);
  monitoringPublicRoutes(app, h);
  metricsRoute(app, h);
  authRoutes(app, h, cookie);
  monitorsUi(app, h);
  envMonitoringUi(app, h);
  channelsUi(app, h);
  uiRoutes(app, h);
  app.notFound(
    (c) =>
      htmlError(c, notFound("not_found", "That page does not exist.")) ??
      c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}.`), 404),
  );
  return app;
}
