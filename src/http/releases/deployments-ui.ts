import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { notFound } from "../../domain/errors.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import { promote } from "../../services/releases/promote.ts";
import type { Env, HttpDeps } from "../context.ts";
import { followLog } from "../log-stream.ts";
import { guard } from "../middleware/access.ts";
import { render, renderView } from "../render.ts";
import { abilities, deploymentView, readForm, type Ui } from "../ui-shared.ts";

export function uiDeployments(ui: Ui, h: HttpDeps): void {
  const { deps } = h;

  const find = (id: string): Deployment => {
    const d = deps.repos.deployments.byId(id);
    if (!d) throw notFound("deployment_not_found", `There is no deployment ${id}.`);
    return d;
  };

  // unknown ids pass the guard and meet their 404 in the handler
  const serviceOf = (c: Context<Env>) => {
    const d = deps.repos.deployments.byId(c.req.param("id") ?? "");
    const env = d && deps.repos.environments.byId(d.environmentId);
    return env && deps.repos.services.byId(env.serviceId)?.name;
  };
  const read = guard("services.read", serviceOf);

  const deploymentPage = (c: Context<Env>, partial: string) => {
    const d = find(c.req.param("id") ?? "");
    const environment = deps.repos.environments.byId(d.environmentId);
    const service = environment && deps.repos.services.byId(environment.serviceId);
    if (!environment || !service)
      throw notFound("deployment_not_found", "Its environment is gone.");
    const lines = deps.repos.deployments.logs(d.id);
    return render(c, {
      page: "pages/deployments/show.njk",
      partial: `partials/deployments/${partial}.njk`,
      ctx: {
        title: `Deployment ${d.id.slice(-8)}`,
        nav: "services",
        service: { ...service, href: `/services/${service.name}` },
        env: { ...environment, href: `/services/${service.name}/environments/${environment.name}` },
        d: deploymentView(h, service.name, environment, d),
        lines,
        lastLogId: lines.at(-1)?.id ?? 0,
        can: abilities(c, service.name),
        // where this deployment's bundle can be promoted to
        otherEnvs: deps.repos.environments
          .listForService(service.id)
          .filter((e) => e.id !== environment.id)
          .map((e) => e.name),
      },
    });
  };

  ui.get("/deployments/:id", read, (c) => deploymentPage(c, "_summary"));

  // promote: the same bundle to another environment of the service, then its new page
  ui.post("/deployments/:id/promote", guard("deployments.create", serviceOf), async (c) => {
    const form = await readForm(c);
    const d = await promote(deps, c.req.param("id") ?? "", form.environment ?? "");
    return c.redirect(`/deployments/${d.id}`, 303);
  });
  ui.get("/deployments/:id/summary", read, (c) => deploymentPage(c, "_summary"));

  /**
   * The live release log for htmx's SSE extension: each line is an unnamed message whose
   * data is the HTML of one log line (swapped in beforeend), then `log-end` once the
   * deployment has finished. A reconnect resumes after Last-Event-ID.
   */
  ui.get("/ui/deployments/:id/log", read, (c) => {
    const d = find(c.req.param("id"));
    const after = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? 0);
    return streamSSE(c, async (stream) => {
      const status = await followLog(
        stream,
        deps,
        d.id,
        Number.isSafeInteger(after) ? after : 0,
        (line) =>
          stream.writeSSE({
            id: String(line.id),
            data: renderView("partials/deployments/_log_line.njk", { line }).trim(),
          }),
      );
      await stream.writeSSE({ event: "log-end", data: status });
    });
  });
}
