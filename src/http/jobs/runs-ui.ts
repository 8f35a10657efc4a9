import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Principal } from "../../domain/auth/permissions.ts";
import { DomainError } from "../../domain/errors.ts";
import { RUN_STATUSES, RUN_TERMINAL } from "../../domain/jobs/jobs.ts";
import { findRuns } from "../../services/jobs/find.ts";
import { readSlice } from "../../services/jobs/output-log.ts";
import { cancelRun, getRun, pauseRun, rerun, resumeRun, runDir } from "../../services/jobs/runs.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { render, renderView } from "../render.ts";
import type { Ui } from "../ui-shared.ts";
import { jobAbilities } from "./abilities.ts";
import { runView } from "./present.ts";

/** What the run page shows at first: the newest output only, whatever the log's size. */
const PAGE_BYTES = 128 * 1024;

/** Runs: the filtered list, a run with its live output, and its buttons. */
export function runsUi(ui: Ui, h: HttpDeps): void {
  const { deps } = h;

  ui.get("/runs", guard("jobs.read"), (c) => {
    const q = c.req.query();
    let runs: ReturnType<typeof findRuns> = [];
    let error: string | undefined;
    try {
      runs = findRuns(deps, { ...q, limit: 100 });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      error = err.message;
    }
    return render(c, {
      page: "pages/jobs/runs.njk",
      partial: "partials/jobs/_runs.njk",
      status: error ? 422 : 200,
      ctx: {
        title: "Runs",
        nav: "jobs",
        q,
        error,
        statuses: RUN_STATUSES,
        runs: runs.map((r) => runView(deps, r)),
      },
    });
  });

  const runPage = (c: Context<Env>, id: string, error?: string) => {
    const run = runView(deps, getRun(deps, id));
    const live = deps.jobs.live.get(id);
    const slice = live
      ? { chunks: live.log.recent(PAGE_BYTES), size: live.log.total }
      : readSlice(runDir(deps, id), -PAGE_BYTES, PAGE_BYTES);
    const shown = slice.chunks.reduce((n, ch) => n + Buffer.byteLength(ch.text), 0);
    // where the live stream takes over: the end of what the page shows
    const last = slice.chunks.at(-1);
    const after = last ? last.offset + Buffer.byteLength(last.text) : 0;
    return render(c, {
      page: "pages/jobs/run.njk",
      partial: "partials/jobs/_run_summary.njk",
      status: error ? 409 : 200,
      ctx: {
        title: `Run ${id}`,
        nav: "jobs",
        run,
        ...slice,
        shown,
        after,
        error,
        can: jobAbilities(c),
      },
    });
  };
  ui.get("/runs/:id", guard("jobs.read"), (c) => runPage(c, c.req.param("id")));

  // live output as HTML lines for htmx's SSE extension
  ui.get("/ui/runs/:id/log", guard("jobs.read"), (c) => {
    const id = getRun(deps, c.req.param("id")).id;
    const after = Number(c.req.query("after") ?? 0);
    return streamSSE(c, async (stream) => {
      let wake: () => void = () => undefined;
      let lines: string[] = [];
      let upTo = Number.isSafeInteger(after) && after > 0 ? after : 0;
      const off = deps.jobs.bus.subscribe(id, (e) => {
        if (e.type === "output" && e.offset >= upTo && lines.length < 2000)
          lines.push(
            renderView("partials/jobs/_chunk.njk", {
              c: { ...e, text: e.bytes.toString("utf8") },
            }).trim(),
          );
        wake();
      });
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
        wake();
      });
      // what came between the page's render and this connection (read in the same
      // synchronous step as the subscription above, so nothing falls between the two)
      for (const ch of deps.jobs.live.get(id)?.log.since(upTo, PAGE_BYTES) ?? []) {
        lines.push(renderView("partials/jobs/_chunk.njk", { c: ch }).trim());
        upTo = Math.max(upTo, ch.offset + Buffer.byteLength(ch.text));
      }
      try {
        for (;;) {
          const batch = lines;
          lines = [];
          if (batch.length > 0) await stream.writeSSE({ data: batch.join("") });
          const status = deps.jobs.repos.runs.byId(id)?.status;
          if (aborted) return;
          if (!status || (RUN_TERMINAL.has(status) && lines.length === 0)) {
            await stream.writeSSE({ event: "log-end", data: status ?? "gone" });
            return;
          }
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 15_000);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
        }
      } finally {
        off();
      }
    });
  });

  const act = (verb: string, fn: (id: string, by: string) => { id: string }) =>
    ui.post(`/runs/:id/${verb}`, guard("jobs.run"), (c) => {
      const by = (c.get("principal") as Principal).label;
      try {
        const run = fn(c.req.param("id"), by);
        return c.redirect(`/runs/${run.id}`, 303);
      } catch (err) {
        if (!(err instanceof DomainError) || err.kind !== "conflict") throw err;
        return runPage(c, c.req.param("id"), err.message);
      }
    });
  act("cancel", (id, by) => cancelRun(deps, id, by));
  act("pause", (id) => pauseRun(deps, id));
  act("resume", (id) => resumeRun(deps, id));
  act("rerun", (id, by) => rerun(deps, id, by));
}
