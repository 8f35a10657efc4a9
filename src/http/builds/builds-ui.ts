import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { notFound } from "../../domain/errors.ts";
import type { Service } from "../../domain/releases/types.ts";
import { deployArtifact } from "../../services/builds/artifacts.ts";
import { queueBuild } from "../../services/builds/queue.ts";
import { configureSource, rotateWebhookSecret, viewSource } from "../../services/builds/source.ts";
import { getService } from "../../services/releases/catalog.ts";
import type { Env, HttpDeps } from "../context.ts";
import { statusFor } from "../errors.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { render } from "../render.ts";
import {
  abilities,
  afterChange,
  attempt,
  type FieldErrors,
  readForm,
  type Ui,
} from "../ui-shared.ts";
import { buildView, uiBuildPage } from "./build-page-ui.ts";
import { hookUrls } from "./present.ts";
import {
  readSourceForm,
  type SourceFormValues,
  sourceFormValues,
  sourceInput,
} from "./source-form.ts";

const LIST_MAX = 25;
const ARTIFACTS_MAX = 20;

type SourceForm = { values: SourceFormValues; errors: FieldErrors; saved?: boolean };
type BuildsPageOptions = {
  sourceForm?: SourceForm;
  /** A webhook secret just made: shown this once. */
  newSecret?: string;
  buildForm?: { ref: string; error?: string };
  artifactError?: string;
  status?: ContentfulStatusCode;
};

/** The Builds tab of a service: source settings, deploy hooks, builds, artifacts. */
export function uiBuilds(ui: Ui, h: HttpDeps): void {
  const { deps } = h;
  const base = "/services/:service";
  uiBuildPage(ui, h);

  const buildsPage = (c: Context<Env>, partial: string, opts: BuildsPageOptions = {}) => {
    const service = getService(deps, c.req.param("service") ?? "");
    const stored = deps.repos.builds.source(service.id);
    const source = stored ? viewSource(stored) : null;
    const rows = deps.repos.builds.listForService(service.id, LIST_MAX + 1);
    const builds = rows.slice(0, LIST_MAX).map((b) => buildView(deps, b));
    const artifacts = deps.repos.builds.artifacts(service.id, ARTIFACTS_MAX);
    const href = `/services/${service.name}`;
    return render(c, {
      page: "pages/builds/index.njk",
      partial: `partials/builds/${partial}.njk`,
      ctx: {
        title: `Builds · ${service.name}`,
        nav: "services",
        tab: "builds",
        service: { ...service, href, builds: `${href}/builds` },
        source,
        hooks: hookUrls(h.publicUrl, service.name),
        sourceForm: opts.sourceForm ?? { values: sourceFormValues(source), errors: {} },
        newSecret: opts.newSecret,
        builds,
        buildsMore: rows.length > LIST_MAX,
        inFlight: builds.some((b) => !b.terminal),
        buildForm: opts.buildForm ?? { ref: "" },
        artifacts: artifacts.map((a) => ({
          ...a,
          build: a.buildId ? `/builds/${a.buildId}` : null,
        })),
        artifactError: opts.artifactError,
        environments: deps.repos.environments.listForService(service.id).map((e) => e.name),
        can: abilities(c, service.name),
      },
      status: opts.status,
    });
  };
  const here = (c: Context<Env>) => `/services/${c.req.param("service")}/builds`;

  const read = guard("services.read", serviceParam);
  const write = guard("services.write", serviceParam);
  const deploy = guard("deployments.create", serviceParam);

  ui.get(`${base}/builds`, read, (c) => buildsPage(c, "_list"));
  for (const part of ["list", "artifacts", "source"]) {
    ui.get(`${base}/builds/${part}`, read, (c) => buildsPage(c, `_${part}`));
  }

  ui.post(`${base}/source`, write, async (c) => {
    const service = getService(deps, c.req.param("service"));
    const form = await readForm(c);
    const values = readSourceForm(form);
    const done = await attempt(() =>
      configureSource(deps, service, sourceInput(values, form.credential ?? "")),
    );
    if (!done.ok) {
      return buildsPage(c, "_source", {
        sourceForm: { values, errors: done.errors },
        status: statusFor(done.error),
      });
    }
    const newSecret = done.value.secret ?? undefined;
    // the builds and artifacts cards follow the source (Build now appears once there is one)
    const changed = () =>
      c.header("HX-Trigger", JSON.stringify({ "source-changed": { target: "body" } }));
    // the first save makes the webhook secret: the answer must show it, so no redirect
    if (newSecret) {
      changed();
      return buildsPage(c, "_source", { newSecret });
    }
    return afterChange(c, here(c), () => {
      changed();
      return buildsPage(c, "_source", { sourceForm: savedForm(deps, service) });
    });
  });

  ui.post(`${base}/source/webhook-secret`, write, (c) => {
    const service = getService(deps, c.req.param("service"));
    return buildsPage(c, "_source", { newSecret: rotateWebhookSecret(deps, service) });
  });

  ui.post(`${base}/builds`, deploy, async (c) => {
    const service = getService(deps, c.req.param("service"));
    const ref = (await readForm(c)).ref ?? "";
    const principal = c.get("principal");
    const done = await attempt(() =>
      queueBuild(deps, service, {
        ref,
        trigger: "manual",
        triggeredBy: principal?.label ?? "someone",
      }),
    );
    if (!done.ok) {
      return buildsPage(c, "_list", {
        buildForm: { ref, error: done.error.message },
        status: statusFor(done.error),
      });
    }
    return toPage(c, `/builds/${done.value.id}`);
  });

  ui.post(`${base}/artifacts/:id/deploy`, deploy, async (c) => {
    const service = getService(deps, c.req.param("service"));
    const form = await readForm(c);
    const done = await attempt(() => {
      const artifact = deps.repos.builds.artifact(c.req.param("id"));
      if (artifact?.serviceId !== service.id) {
        throw notFound(
          "artifact_not_found",
          `${service.name} has no artifact ${c.req.param("id")}.`,
        );
      }
      return deployArtifact(deps, artifact.id, form.environment ?? "");
    });
    if (!done.ok) {
      return buildsPage(c, "_artifacts", {
        artifactError: done.error.message,
        status: statusFor(done.error),
      });
    }
    return toPage(c, `/deployments/${done.value.id}`);
  });
}

/** The stored source as the form shows it, with a "saved" note. */
function savedForm(deps: HttpDeps["deps"], service: Service): SourceForm {
  const stored = deps.repos.builds.source(service.id);
  return { values: sourceFormValues(stored ? viewSource(stored) : null), errors: {}, saved: true };
}

/** Goes to the page of what was just started: htmx follows HX-Redirect, a plain form the 303. */
function toPage(c: Context<Env>, href: string): Response {
  if (c.req.header("hx-request") === "true") {
    c.header("HX-Redirect", href);
    return c.body(null, 200);
  }
  return c.redirect(href, 303);
}
