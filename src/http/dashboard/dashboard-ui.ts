import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { can, canSeeService } from "../../domain/auth/permissions.ts";
import type { Dashboard } from "../../services/dashboard/index.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { renderView } from "../render.ts";
import { areaChart, sparkline } from "../reports/svg.ts";
import type { Ui } from "../ui-shared.ts";

const PAGE_SIZE = 200;

function boardQuery(c: Context<Env>) {
  const int = (name: string, fallback: number) => {
    const n = Number.parseInt(c.req.query(name) ?? "", 10);
    return Number.isSafeInteger(n) && n > 0 ? n : fallback;
  };
  return {
    q: (c.req.query("q") ?? "").trim().slice(0, 100),
    page: int("page", 1),
    // services per page: 200 unless asked for fewer
    pageSize: Math.min(PAGE_SIZE, Math.max(5, int("per", PAGE_SIZE))),
  };
}

const pct = (used: number, total: number) => (total > 0 ? (used / total) * 100 : 0);

/** The board (service × environment) for the viewer, with its links. */
export function boardContext(c: Context<Env>, h: HttpDeps, d: Dashboard) {
  const p = c.get("principal");
  const query = boardQuery(c);
  const board = d.board.read(
    (name) => Boolean(p && canSeeService(p, name)),
    query,
    (permission) => Boolean(p && can(p, permission)),
  );
  const params = (page: number) => ({
    ...(query.q ? { q: query.q } : {}),
    ...(query.pageSize !== PAGE_SIZE ? { per: String(query.pageSize) } : {}),
    page: String(page),
  });
  const search = (page: number) => `/?${new URLSearchParams(params(page))}`;
  return {
    ...board,
    rows: board.rows.map((r) => ({ ...r, url: h.urls.environment(r.service, r.environment) })),
    prev: board.page > 1 ? search(board.page - 1) : null,
    next: board.page < board.pages ? search(board.page + 1) : null,
    stream: `/ui/dashboard/stream?${new URLSearchParams(params(query.page))}`,
    usage: `/ui/dashboard/usage?${new URLSearchParams(params(query.page))}`,
  };
}

/** Host graphs and, per static environment on the page, disk, requests and bytes by hour. */
export function usageContext(h: HttpDeps, d: Dashboard, board: ReturnType<typeof boardContext>) {
  const samples = d.host.samples();
  const last = samples.at(-1);
  const statics = board.rows.filter((r) => r.kind === "static");
  const traffic = d.traffic.hours(statics.map((r) => r.environmentId));
  return {
    host: last && {
      cpu: {
        now: last.cpu,
        svg: areaChart(
          samples.map((s) => s.cpu),
          { max: 100, label: "CPU %" },
        ),
      },
      memory: {
        now: pct(last.memUsed, last.memTotal),
        used: last.memUsed,
        total: last.memTotal,
        svg: areaChart(
          samples.map((s) => pct(s.memUsed, s.memTotal)),
          { max: 100, label: "memory %" },
        ),
      },
      disk: {
        now: pct(last.diskUsed, last.diskTotal),
        used: last.diskUsed,
        total: last.diskTotal,
        svg: areaChart(
          samples.map((s) => pct(s.diskUsed, s.diskTotal)),
          { max: 100, label: "disk %" },
        ),
      },
      load: {
        now: last.load1,
        svg: areaChart(
          samples.map((s) => s.load1),
          { label: "load" },
        ),
      },
      since: samples[0]?.at ?? last.at,
    },
    // the busiest first
    sites: statics
      .map((r) => {
        const t = traffic.get(r.environmentId);
        const requests = t?.requests ?? [];
        const bytes = t?.bytes ?? [];
        return {
          service: r.service,
          environment: r.environment,
          href: `/services/${r.service}/environments/${r.environment}`,
          disk: d.disk.of(h.deps.layout.releasesDir(r.service, r.environment)),
          requests: requests.reduce((a, b) => a + b, 0),
          bytes: bytes.reduce((a, b) => a + b, 0),
          requestsSvg: sparkline(requests),
          bytesSvg: sparkline(bytes),
        };
      })
      .sort((a, b) => b.requests - a.requests),
  };
}

/** Live updates of the board (the rows re-rendered whenever something moves), and usage. */
export function dashboardUi(ui: Ui, h: HttpDeps, d: Dashboard): void {
  // usage loads after the page (it walks release directories and draws many charts)
  ui.get("/ui/dashboard/usage", guard("services.read"), (c) => {
    const board = boardContext(c, h, d);
    return c.html(
      renderView("partials/dashboard/_usage.njk", { board, usage: usageContext(h, d, board) }),
    );
  });

  ui.get("/ui/dashboard/stream", guard("services.read"), (c) =>
    streamSSE(c, async (stream) => {
      let wake: () => void = () => undefined;
      let dirty = false;
      const unsubscribe = d.pulse.subscribe(() => {
        dirty = true;
        wake();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        wake();
      });
      try {
        while (open) {
          await new Promise<void>((resolve) => {
            // a comment now and then keeps proxies from closing an idle stream
            const timer = setTimeout(resolve, 25_000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
            if (dirty || !open) wake();
          });
          if (!open) break;
          if (!dirty) {
            await stream.write(": keep-alive\n\n");
            continue;
          }
          dirty = false;
          const board = boardContext(c, h, d);
          const html = renderView("partials/dashboard/_board.njk", { board }).trim();
          await stream.writeSSE({ data: html });
        }
      } finally {
        unsubscribe();
      }
    }),
  );
}
