import { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { Api, Env, HttpDeps } from "./context.ts";
import { errorBody, toErrorResponse } from "./errors.ts";
import { auditTrail, csrfGuard, requireSignIn } from "./middleware/access.ts";
import { authenticate, sessionCookie } from "./middleware/auth.ts";
import { requestLog } from "./middleware/request-log.ts";
import { envMonitoringUi } from "./monitoring/env-card.ts";
import { envMonitoringApi } from "./monitoring/env-monitoring-api.ts";
import { incidentsApi } from "./monitoring/incidents-api.ts";
import { countRequests, metricsRoute } from "./monitoring/metrics-route.ts";
import { monitorsApi } from "./monitoring/monitors-api.ts";
import { monitorsUi } from "./monitoring/monitors-ui.ts";
import { monitoringPublicRoutes } from "./monitoring/public-routes.ts";
import { channelsApi } from "./notify/channels-api.ts";
import { channelsUi } from "./notify/channels-ui.ts";
import { authApi } from "./routes/auth-api.ts";
import { authRoutes } from "./routes/auth-ui.ts";
import { buildsApi } from "./routes/builds-api.ts";
import { certificatesApi } from "./routes/certificates-api.ts";
import { deploymentsApi } from "./routes/deployments-api.ts";
import { domainsApi } from "./routes/domains-api.ts";
import { hookRoutes } from "./routes/hooks.ts";
import { servicesApi } from "./routes/services-api.ts";
import { settingsApi } from "./routes/settings-api.ts";
import { siteResponder } from "./routes/sites.ts";
import { systemRoutes } from "./routes/system.ts";
import { uiRoutes } from "./routes/ui.ts";

export function createApp(h: HttpDeps): Hono<Env> {
  const logger = h.deps.logger;
  const app = new Hono<Env>();
  const site = siteResponder(h);
  // sites first: they are the hot path and carry no API semantics
  app.use("*", async (c, next) => {
    const served = site(c);
    if (served) return served;
    await next();
  });
  app.use("*", requestLog(logger));
  app.use("*", countRequests(h.deps.metrics));
  app.onError((err, c) => toErrorResponse(err, c, c.get("log") ?? logger));
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
  deploymentsApi(api, h);
  buildsApi(api, h);
  domainsApi(api, h);
  certificatesApi(api, h);
  authApi(api, h);
  settingsApi(api, h);
  // monitoring and notifications (issue 14)
  monitorsApi(api, h);
  incidentsApi(api, h);
  envMonitoringApi(api, h);
  channelsApi(api, h);
  api.notFound((c) =>
    c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}.`), 404),
  );
  app.route("/api/v1", api);
  app.get("/api/openapi.json", (c) =>
    c.json(
      api.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Berth API",
          version: "1",
          description:
            "Deploy static sites to named environments, follow the release log, roll back.",
        },
        servers: [{ url: "/api/v1" }],
      }),
    ),
  );
  systemRoutes(app);
  hookRoutes(app, h);
  monitoringPublicRoutes(app, h);
  metricsRoute(app, h);
  authRoutes(app, h, cookie);
  monitorsUi(app, h);
  envMonitoringUi(app, h);
  channelsUi(app, h);
  uiRoutes(app, h);
  app.notFound((c) =>
    c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}.`), 404),
  );
  return app;
}
