import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { TERMINAL } from "../../domain/releases/deployment.ts";
import { cancelBuild, getBuild, queuePosition } from "../../services/builds/queue.ts";
import type { Deps } from "../../services/core/deps.ts";
import type { Env, HttpDeps } from "../context.ts";
import { statusFor } from "../errors.ts";
import { followBuildLog } from "../log-stream.ts";
import { guard } from "../middleware/access.ts";
import { render, renderView } from "../render.ts";
import { abilities, afterChange, attempt, type Ui } from "../ui-shared.ts";
import { BUILD_TERMINAL, type Build, buildDuration } from "./present.ts";

/** "850 ms", "42 s", "3 min 07 s", "1 h 02 min". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** A build as the templates see it. */
export function buildView(deps: Deps, b: Build) {
  return {
    ...b,
    href: `/builds/${b.id}`,
    terminal: BUILD_TERMINAL.has(b.status),
    queuePosition: b.status === "queued" ? queuePosition(deps, b.id) : null,
    duration: formatDuration(buildDuration(b)),
  };
}

/** One build's page: summary, live log, cancel. */
export function uiBuildPage(ui: Ui, h: HttpDeps): void {
  const { deps } = h;
  // unknown ids pass the guard and meet their 404 in the handler
  const serviceOf = (c: Context<Env>) => {
    const b = deps.repos.builds.byId(c.req.param("id") ?? "");
    return b && deps.repos.services.byId(b.serviceId)?.name;
  };

  const buildPage = (
    c: Context<Env>,
    partial: string,
    opts: { cancelError?: string; status?: ContentfulStatusCode } = {},
  ) => {
    const b = getBuild(deps, c.req.param("id") ?? "");
    const service = deps.repos.services.byId(b.serviceId);
    const name = service?.name ?? "";
    const lines = deps.repos.builds.logs(b.id);
    const deployment = b.deploymentId ? deps.repos.deployments.byId(b.deploymentId) : undefined;
    return render(c, {
      page: "pages/builds/show.njk",
      partial: `partials/builds/${partial}.njk`,
      ctx: {
        title: `Build ${b.id.slice(-8)} · ${name}`,
        nav: "services",
        service: { name, href: `/services/${name}`, builds: `/services/${name}/builds` },
        b: buildView(deps, b),
        artifact: b.artifactId ? deps.repos.builds.artifact(b.artifactId) : undefined,
        deployment,
        // the build page follows its deployment's log too, so its status never goes stale
        deploymentSettled: deployment ? TERMINAL.has(deployment.status) : true,
        lines,
        lastLogId: lines.at(-1)?.id ?? 0,
        cancelError: opts.cancelError,
        can: abilities(c, name),
      },
      status: opts.status,
    });
  };

  const read = guard("services.read", serviceOf);
  ui.get("/builds/:id", read, (c) => buildPage(c, "_summary"));
  ui.get("/builds/:id/summary", read, (c) => buildPage(c, "_summary"));

  ui.post("/builds/:id/cancel", guard("deployments.create", serviceOf), async (c) => {
    const by = c.get("principal")?.label ?? "someone";
    const done = await attempt(() => cancelBuild(deps, c.req.param("id"), by));
    if (!done.ok) {
      if (done.error.kind === "not_found") throw done.error;
      return buildPage(c, "_summary", {
        cancelError: done.error.message,
        status: statusFor(done.error),
      });
    }
    return afterChange(c, `/builds/${done.value.id}`, () => buildPage(c, "_summary"));
  });

  /**
   * The live build log for htmx's SSE extension: each line is an unnamed message whose
   * data is the HTML of one line (swapped in beforeend), then `log-end` once the build
   * has finished. A reconnect resumes after Last-Event-ID.
   */
  ui.get("/ui/builds/:id/log", read, (c) => {
    const b = getBuild(deps, c.req.param("id"));
    const after = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? 0);
    return streamSSE(c, async (stream) => {
      const status = await followBuildLog(
        stream,
        deps,
        b.id,
        Number.isSafeInteger(after) ? after : 0,
        (line) =>
          stream.writeSSE({
            id: String(line.id),
            data: renderView("partials/builds/_log_line.njk", { line }).trim(),
          }),
      );
      await stream.writeSSE({ event: "log-end", data: status });
    });
  });
}
