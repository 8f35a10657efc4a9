import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { canCreateService } from "../../domain/auth/permissions.ts";
import { siteUrl } from "../../domain/edge/hosts.ts";
import type { DomainError } from "../../domain/errors.ts";
import {
  createEnvironment,
  createService,
  deleteEnvironment,
  deleteService,
  getService,
} from "../../services/releases/catalog.ts";
import type { Env, HttpDeps } from "../context.ts";
import { boardContext } from "../dashboard/dashboard-ui.ts";
import { statusFor } from "../errors.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { render } from "../render.ts";
import {
  abilities,
  afterChange,
  attempt,
  environmentView,
  type FieldErrors,
  readForm,
  type Ui,
} from "../ui-shared.ts";

type ServiceForm = { values: Record<string, string>; errors: FieldErrors; created?: string };
type EnvForm = { values: Record<string, string>; errors: FieldErrors; notice?: string };
type ServicePageOptions = {
  envForm?: EnvForm;
  dangerError?: string;
  partial?: string;
  status?: ContentfulStatusCode;
};

const emptyServiceForm = (): ServiceForm => ({
  values: { name: "", environments: "production" },
  errors: {},
});
const emptyEnvForm = (): EnvForm => ({
  values: { name: "", retention: "", spaFallback: "" },
  errors: {},
});

// createService names every bad name "name"; the form has a field for each list
const serviceField = (err: DomainError) =>
  err.code === "invalid_environment_name" ? "environments" : (err.field ?? "name");

export function uiServices(ui: Ui, h: HttpDeps): void {
  const { deps } = h;

  const dashboard = (c: Context<Env>, form: ServiceForm, status: ContentfulStatusCode = 200) => {
    const principal = c.get("principal");
    // the board: every service × environment, live
    const board = h.dashboard && boardContext(c, h, h.dashboard);
    return render(c, {
      page: "pages/dashboard.njk",
      partial: "partials/services/_dashboard.njk",
      ctx: {
        board,
        title: "Services",
        nav: "services",
        form,
        canCreate: Boolean(principal && canCreateService(principal)),
        baseDomain: h.baseDomain,
        // what a first site's address looks like, port included
        siteExample: siteUrl(h.publicUrl, h.baseDomain, "production--x")
          .replace(/^https?:\/\//, "")
          .replace("production--x", "production--<service>"),
        publicUrl: h.publicUrl,
      },
      status,
    });
  };

  const servicePage = (c: Context<Env>, name: string, opts: ServicePageOptions = {}) => {
    const service = getService(deps, name);
    const environments = deps.repos.environments
      .listForService(service.id)
      .map((e) => environmentView(h, service, e));
    return render(c, {
      page: "pages/services/show.njk",
      partial: opts.partial ?? "partials/environments/_list.njk",
      ctx: {
        title: service.name,
        nav: "services",
        service: { ...service, href: `/services/${service.name}` },
        environments,
        envForm: opts.envForm ?? emptyEnvForm(),
        dangerError: opts.dangerError,
        can: abilities(c, service.name),
        defaultRetention: deps.defaultRetention,
      },
      status: opts.status,
    });
  };

  ui.get("/", guard("signed-in"), (c) => dashboard(c, emptyServiceForm()));

  ui.post("/services", guard("services.create"), async (c) => {
    const form = await readForm(c);
    const values = { name: form.name ?? "", environments: form.environments ?? "" };
    const envNames = values.environments
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean);
    const done = await attempt(
      () =>
        createService(deps, {
          name: values.name,
          environments: envNames.length > 0 ? envNames : undefined,
        }),
      serviceField,
    );
    if (!done.ok) return dashboard(c, { values, errors: done.errors }, statusFor(done.error));
    const name = done.value.service.name;
    c.set("audited", name);
    return afterChange(c, `/services/${name}`, () =>
      dashboard(c, { ...emptyServiceForm(), created: name }),
    );
  });

  const read = guard("services.read", serviceParam);
  const write = guard("services.write", serviceParam);

  ui.get("/services/:service", read, (c) => servicePage(c, c.req.param("service")));

  ui.post("/services/:service/environments", write, async (c) => {
    const name = c.req.param("service");
    getService(deps, name);
    const form = await readForm(c);
    const values = {
      name: form.name ?? "",
      retention: form.retention ?? "",
      spaFallback: form.spaFallback ?? "",
    };
    const done = await attempt(
      () =>
        createEnvironment(deps, name, {
          name: values.name,
          retention: values.retention === "" ? undefined : Number(values.retention),
          spaFallback: values.spaFallback === "on",
        }),
      (err) => (err.kind === "conflict" ? "name" : (err.field ?? "form")),
    );
    if (!done.ok) {
      return servicePage(c, name, {
        envForm: { values, errors: done.errors },
        status: statusFor(done.error),
      });
    }
    return afterChange(c, `/services/${name}`, () =>
      servicePage(c, name, {
        envForm: { ...emptyEnvForm(), notice: `Environment ${done.value.name} created.` },
      }),
    );
  });

  ui.post("/services/:service/environments/:env/delete", write, async (c) => {
    const name = c.req.param("service");
    const done = await attempt(() => deleteEnvironment(deps, name, c.req.param("env")));
    if (!done.ok) {
      if (done.error.kind === "not_found") throw done.error;
      const envForm = { ...emptyEnvForm(), errors: { list: done.error.message } };
      return servicePage(c, name, { envForm, status: statusFor(done.error) });
    }
    return afterChange(c, `/services/${name}`, () => servicePage(c, name));
  });

  ui.post("/services/:service/delete", write, async (c) => {
    const name = c.req.param("service");
    const done = await attempt(() => deleteService(deps, name));
    if (!done.ok) {
      if (done.error.kind === "not_found") throw done.error;
      return servicePage(c, name, {
        dangerError: done.error.message,
        partial: "partials/services/_danger.njk",
        status: statusFor(done.error),
      });
    }
    // the page that asked is gone: htmx follows HX-Redirect, a plain form the 303
    if (c.req.header("hx-request") === "true") {
      c.header("HX-Redirect", "/");
      return c.body(null, 200);
    }
    return c.redirect("/", 303);
  });
}
