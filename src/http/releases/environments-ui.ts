import type { Readable } from "node:stream";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { notFound } from "../../domain/errors.ts";
import { TERMINAL } from "../../domain/releases/deployment.ts";
import { getEnvironment, updateEnvironment } from "../../services/releases/catalog.ts";
import { acceptBundle, redeploy } from "../../services/releases/deploy.ts";
import { rollback } from "../../services/releases/rollback.ts";
import type { Env, HttpDeps } from "../context.ts";
import { type DomainForm, domainsContext, type EnvPage } from "../edge/domains-ui.ts";
import { statusFor } from "../errors.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { envMonitorCard } from "../monitoring/env-card.ts";
import { render } from "../render.ts";
import {
  abilities,
  afterChange,
  attempt,
  deploymentView,
  environmentView,
  type FieldErrors,
  readForm,
  type Ui,
} from "../ui-shared.ts";
import { type HealthForm, healthValues } from "./health-ui.ts";
import { receiveUpload } from "./upload.ts";

const HISTORY_MAX = 25;
const ACTIVITY_MAX = 20;
const PAGE = "pages/environments/show.njk";

type SettingsForm = { values: Record<string, string>; errors: FieldErrors; saved?: boolean };
type EnvPageOptions = {
  domainForm?: DomainForm;
  healthForm?: HealthForm;
  settings?: SettingsForm;
  historyError?: string;
  uploadError?: string;
  status?: ContentfulStatusCode;
};

// events that tell the parts of the environment page to fetch themselves again:
// env-changed (settings, rollback), deployment-created (upload, redeploy), and
// deployment-settled (the release log panel found its deployment finished)
const trigger = (name: string) => JSON.stringify({ [name]: { target: "body" } });

/** Registers the environment page's routes; returns the page renderer for its other cards. */
export function uiEnvironments(ui: Ui, h: HttpDeps): EnvPage {
  const { deps } = h;
  const base = "/services/:service/environments/:env";

  /** Every part of the environment page; a route picks the page or one partial of it. */
  const envPage = (c: Context<Env>, partial: string, opts: EnvPageOptions = {}) => {
    const { service, environment } = getEnvironment(
      deps,
      c.req.param("service") ?? "",
      c.req.param("env") ?? "",
    );
    const env = environmentView(h, service, environment);
    const rows = deps.repos.deployments.listForEnvironment(environment.id, HISTORY_MAX + 1);
    const history = rows
      .slice(0, HISTORY_MAX)
      .map((d) => deploymentView(h, service.name, environment, d));
    const newest = history[0];
    const lines = newest ? deps.repos.deployments.logs(newest.id) : [];
    return render(c, {
      page: PAGE,
      partial: `partials/environments/${partial}.njk`,
      ctx: {
        title: `${env.name} · ${service.name}`,
        nav: "services",
        service: { ...service, href: `/services/${service.name}` },
        env,
        history,
        historyMore: rows.length > HISTORY_MAX,
        historyError: opts.historyError,
        newest,
        lines,
        lastLogId: lines.at(-1)?.id ?? 0,
        events: deps.repos.environments.events(environment.id, ACTIVITY_MAX),
        ...domainsContext(deps, environment.id, opts.domainForm),
        healthForm: opts.healthForm ?? healthValues(environment),
        ...envMonitorCard(h, service.name, environment.name, environment.id),
        settings: opts.settings ?? {
          values: {
            retention: String(environment.retention),
            spaFallback: environment.spaFallback ? "on" : "",
          },
          errors: {},
        },
        uploadError: opts.uploadError,
        can: abilities(c, service.name),
        maxBundleBytes: deps.limits.maxBundleBytes,
      },
      status: opts.status,
    });
  };
  const here = (c: Context<Env>) =>
    `/services/${c.req.param("service")}/environments/${c.req.param("env")}`;

  const read = guard("services.read", serviceParam);
  ui.get(base, read, (c) => envPage(c, "_summary"));
  for (const part of ["summary", "history", "activity", "settings"]) {
    ui.get(`${base}/${part}`, read, (c) => envPage(c, `_${part}`));
  }
  // The log panel reloads when a deployment starts and when its stream ends. Finding its
  // deployment finished (the stream ended, or it was over before the panel looked) is
  // when the other parts of the page learn the outcome.
  ui.get(`${base}/live`, read, (c) => {
    const { environment } = getEnvironment(deps, c.req.param("service"), c.req.param("env"));
    const newest = deps.repos.deployments.listForEnvironment(environment.id, 1)[0];
    if (newest && TERMINAL.has(newest.status)) {
      c.header("HX-Trigger", trigger("deployment-settled"));
    }
    return envPage(c, "_live");
  });

  ui.post(`${base}/settings`, guard("services.write", serviceParam), async (c) => {
    const form = await readForm(c);
    const values = { retention: form.retention ?? "", spaFallback: form.spaFallback ?? "" };
    const done = await attempt(() =>
      updateEnvironment(deps, c.req.param("service"), c.req.param("env"), {
        retention: Number(values.retention || Number.NaN),
        spaFallback: values.spaFallback === "on",
      }),
    );
    if (!done.ok) {
      return envPage(c, "_settings", {
        settings: { values, errors: done.errors },
        status: statusFor(done.error),
      });
    }
    return afterChange(c, here(c), () => {
      c.header("HX-Trigger", trigger("env-changed"));
      return envPage(c, "_settings", { settings: { values, errors: {}, saved: true } });
    });
  });

  ui.post(`${base}/rollback`, guard("rollbacks.create", serviceParam), async (c) => {
    const form = await readForm(c);
    const done = await attempt(() =>
      rollback(deps, c.req.param("service"), c.req.param("env"), form.deploymentId || undefined),
    );
    if (!done.ok)
      return envPage(c, "_history", {
        historyError: done.error.message,
        status: statusFor(done.error),
      });
    return afterChange(c, here(c), () => {
      c.header("HX-Trigger", trigger("env-changed"));
      return envPage(c, "_history");
    });
  });

  ui.post(`${base}/redeploy`, guard("deployments.create", serviceParam), async (c) => {
    const { environment } = getEnvironment(deps, c.req.param("service"), c.req.param("env"));
    const form = await readForm(c);
    const done = await attempt(() => {
      const source = deps.repos.deployments.byId(form.deploymentId ?? "");
      if (source?.environmentId !== environment.id) {
        throw notFound(
          "deployment_not_found",
          `This environment has no deployment ${form.deploymentId ?? ""}.`,
        );
      }
      return redeploy(deps, source.id, form.stripFolder ? { stripFolder: true } : {});
    });
    if (!done.ok)
      return envPage(c, "_history", {
        historyError: done.error.message,
        status: statusFor(done.error),
      });
    return afterChange(c, `/deployments/${done.value.id}`, () => {
      c.header("HX-Trigger", trigger("deployment-created"));
      return envPage(c, "_history");
    });
  });

  // without JavaScript the upload form posts here; public/upload.js uses the JSON API instead
  ui.post(`${base}/deployments`, guard("deployments.create", serviceParam), async (c) => {
    const target = getEnvironment(deps, c.req.param("service"), c.req.param("env"));
    const text = (v: string | undefined) => (v?.trim() ? v.trim().slice(0, 500) : null);
    const done = await attempt(async () => {
      const { bundle, fields } = await receiveUpload(
        c.req.raw,
        deps.layout,
        deps.limits.maxBundleBytes,
        (c.env as { incoming?: Readable } | undefined)?.incoming,
      );
      return acceptBundle(deps, target, bundle, {
        message: text(fields.message),
        commit: text(fields.commit),
        stripFolder: fields.stripFolder === "true",
      });
    });
    if (!done.ok)
      return envPage(c, "_upload", {
        uploadError: done.error.message,
        status: statusFor(done.error),
      });
    return c.redirect(`/deployments/${done.value.id}`, 303);
  });
  return envPage;
}
