import type { Context } from "hono";
import { notFound } from "../../domain/errors.ts";
import { deployContainer } from "../../services/containers/deploy.ts";
import {
  listPods,
  readLogs,
  restartEnvironment,
  scaleEnvironment,
  startEnvironment,
  stopEnvironment,
  usage,
} from "../../services/containers/ops.ts";
import { getContainerSpec, putContainerSpec } from "../../services/containers/spec.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { render } from "../render.ts";
import {
  abilities,
  attempt,
  environmentView,
  type FieldErrors,
  readForm,
  type Ui,
} from "../ui-shared.ts";
import { fieldOf, formToInput, type SpecView, specToForm } from "./containers-form.ts";

const PAGE = "pages/containers/show.njk";
const base = "/services/:service/environments/:env";

type Form = { values: Record<string, string>; errors: FieldErrors; saved?: boolean };

/** The container environment page: form, pods, operations, rollout, logs, usage. */
export function containersUi(ui: Ui, h: HttpDeps): void {
  const { deps } = h;
  const names = (c: Context<Env>) => ({
    s: c.req.param("service") ?? "",
    e: c.req.param("env") ?? "",
  });

  // a container service's environment page is this one
  ui.get(base, async (c, next) => {
    if (deps.repos.services.byName(names(c).s)?.kind !== "container") return next();
    return c.redirect(`/services/${names(c).s}/environments/${names(c).e}/container`, 303);
  });

  const page = (
    c: Context<Env>,
    partial: string,
    extra: object = {},
    status: 200 | 422 | 502 = 200,
  ) => {
    const { s, e } = names(c);
    const service = deps.repos.services.byName(s);
    const found =
      service && deps.repos.environments.listForService(service.id).find((x) => x.name === e);
    if (!service || !found) throw notFound("environment_not_found", `No environment ${s}/${e}.`);
    const spec = getContainerSpec(deps, s, e) as SpecView | null;
    const env = environmentView(h, service, found);
    const latest = deps.repos.deployments.listForEnvironment(found.id, 1)[0];
    return render(c, {
      page: PAGE,
      partial: `partials/containers/${partial}.njk`,
      ctx: {
        title: `${e} · ${s}`,
        nav: "services",
        service: { ...service, href: `/services/${s}` },
        env: { ...env, href: `/services/${s}/environments/${e}/container` },
        spec,
        latest: latest
          ? { ...latest, lines: deps.repos.deployments.logs(latest.id).slice(-200) }
          : null,
        can: abilities(c, s),
        form: { values: specToForm(spec), errors: {} } as Form,
        ...extra,
      },
      status,
    });
  };

  /** A card that reads the cluster: a cluster error is shown in the card, not as a page. */
  const clusterCard = async (c: Context<Env>, partial: string, load: () => Promise<object>) => {
    const got = await attempt(load);
    return page(c, partial, got.ok ? got.value : { clusterError: got.error.message });
  };

  ui.get(`${base}/container`, guard("services.read", serviceParam), (c) => page(c, "_form"));
  ui.post(`${base}/container`, guard("services.write", serviceParam), async (c) => {
    const { s, e } = names(c);
    const values = await readForm(c);
    const saved = await attempt(() => putContainerSpec(deps, s, e, formToInput(values)), fieldOf);
    if (!saved.ok) return page(c, "_form", { form: { values, errors: saved.errors } }, 422);
    return page(c, "_form", {
      form: { values: specToForm(saved.value as SpecView), errors: {}, saved: true },
    });
  });
  ui.post(`${base}/container/deploy`, guard("deployments.create", serviceParam), async (c) => {
    const { s, e } = names(c);
    const values = await readForm(c);
    const done = await attempt(() =>
      deployContainer(deps, s, e, {
        image: values.image || undefined,
        message: values.message || undefined,
      }),
    );
    if (!done.ok)
      return page(
        c,
        "_operate",
        { opError: done.error.message },
        done.error.kind === "unavailable" ? 502 : 422,
      );
    return c.redirect(`/deployments/${done.value.id}`, 303);
  });
  const op = (verb: string, run: () => Promise<unknown>) => async (c: Context<Env>) => {
    const done = await attempt(run);
    return page(c, "_operate", done.ok ? { opDone: verb } : { opError: done.error.message });
  };
  ui.post(`${base}/container/stop`, guard("deployments.create", serviceParam), (c) =>
    op("Stopped", () => stopEnvironment(deps, names(c).s, names(c).e))(c),
  );
  ui.post(`${base}/container/start`, guard("deployments.create", serviceParam), (c) =>
    op("Started", () => startEnvironment(deps, names(c).s, names(c).e))(c),
  );
  ui.post(`${base}/container/restart`, guard("deployments.create", serviceParam), (c) =>
    op("Restarting", () => restartEnvironment(deps, names(c).s, names(c).e))(c),
  );
  ui.post(`${base}/container/scale`, guard("deployments.create", serviceParam), async (c) => {
    const values = await readForm(c);
    const n = /^\d+$/.test(values.replicas ?? "") ? Number(values.replicas) : values.replicas;
    return op("Scaled", () => scaleEnvironment(deps, names(c).s, names(c).e, n))(c);
  });
  ui.get(`${base}/container/pods`, guard("services.read", serviceParam), (c) =>
    clusterCard(c, "_pods", async () => ({ pods: await listPods(deps, names(c).s, names(c).e) })),
  );
  ui.get(`${base}/container/logs`, guard("services.read", serviceParam), (c) =>
    clusterCard(c, "_logs", async () => ({
      logs: await readLogs(deps, names(c).s, names(c).e, {
        tail: 100,
        previous: c.req.query("previous") === "true",
      }),
    })),
  );
  ui.get(`${base}/container/usage`, guard("services.read", serviceParam), (c) =>
    clusterCard(c, "_usage", async () => ({ usage: await usage(deps, names(c).s, names(c).e) })),
  );
}
