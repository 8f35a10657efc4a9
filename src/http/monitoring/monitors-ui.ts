import { Hono } from "hono";
import { can, type Principal } from "../../domain/auth/permissions.ts";
import { DomainError } from "../../domain/errors.ts";
import type { MonitorRow } from "../../domain/monitoring/monitoring.ts";
import {
  createMonitor,
  monitorDetail,
  monitorService,
  setPaused,
} from "../../services/monitoring/monitors.ts";
import { recentBuckets, uptimes } from "../../services/monitoring/stats.ts";
import type { Env, HttpDeps } from "../context.ts";
import { statusFor } from "../errors.ts";
import { guard } from "../middleware/access.ts";
import { render } from "../render.ts";
import { afterChange, attempt, type FieldErrors, readForm } from "../ui-shared.ts";
import { sparkline, uptimeBars } from "./charts.ts";
import { seesMonitor } from "./incidents-api.ts";
import { presentIncident } from "./present.ts";

type Form = { values: Record<string, string>; errors: FieldErrors };
const emptyForm: Form = { values: { kind: "http", interval: "60" }, errors: {} };

const num = (s: string | undefined) => (s ? Number(s) : undefined);
const PAGE = 200;
const ORDER: Record<string, number> = { down: 0, pending: 1, up: 2, paused: 3 };
const rank = (status: string) => ORDER[status] ?? 4;

/** The monitors pages: list with uptime bars and sparklines, one monitor, incidents. */
export function monitorsUi(app: Hono<Env>, h: HttpDeps): void {
  const { deps } = h;
  const ui = new Hono<Env>();
  ui.onError((err, c) => {
    if (!(err instanceof DomainError)) throw err;
    const status = statusFor(err);
    return render(c, {
      page: "pages/error.njk",
      partial: "partials/_error.njk",
      ctx: {
        status,
        message: err.message,
        title: status === 404 ? "Not found" : "Something went wrong",
      },
      status,
    });
  });
  const lastLatencies = (id: number, n: number) =>
    deps.monitoring.repos.checks
      .recent(id, n)
      .map((c) => c.latencyMs)
      .reverse();
  const visible = (p: Principal) =>
    deps.monitoring.repos.monitors.list().filter((m) => seesMonitor(p, m.service));
  const mayWrite = (p: Principal | null, service: string | null) =>
    Boolean(p && can(p, "monitors.write", service ?? ""));

  const listPage = (
    c: Parameters<typeof render>[0],
    form: Form = emptyForm,
    status: 200 | 422 = 200,
  ) => {
    const p = c.get("principal") as Principal;
    const pageNo = Math.max(1, Number(c.req.query("page")) || 1);
    const now = deps.monitoring.clock.now();
    const up = uptimes(deps.monitoring.repos, now);
    const buckets = recentBuckets(deps.monitoring.repos, now, 24);
    const live = new Map(deps.monitoring.scheduler.states().map((s) => [s.id, s]));
    // down first, then the rest by id; PAGE at a time so thousands stay quick
    const all = visible(p).sort(
      (a, b) =>
        rank(live.get(a.id)?.status ?? a.status) - rank(live.get(b.id)?.status ?? b.status) ||
        a.id - b.id,
    );
    const monitors = all.slice((pageNo - 1) * PAGE, pageNo * PAGE).map((m: MonitorRow) => ({
      ...m,
      status: live.get(m.id)?.status ?? m.status,
      latencyMs: live.get(m.id)?.latencyMs ?? null,
      uptime: up.get(m.id)?.h24 ?? null,
      bars: uptimeBars(buckets.get(m.id), now),
      // the last 30 checks: only for the rows of this page
      spark: sparkline(lastLatencies(m.id, 30)),
    }));
    return render(c, {
      page: "pages/monitoring/index.njk",
      partial: "partials/monitoring/_list.njk",
      ctx: {
        title: "Monitors",
        nav: "monitors",
        monitors,
        form,
        canCreate: can(p, "monitors.write"),
      },
      status,
    });
  };

  ui.get("/monitors", guard("monitors.read"), (c) => listPage(c));

  ui.post("/monitors", guard("monitors.write"), async (c) => {
    const f = await readForm(c);
    const p = c.get("principal") as Principal;
    const result = await attempt(() => {
      if (!mayWrite(p, f.service || null))
        throw new DomainError("forbidden", "forbidden", "You may not add monitors there.");
      return createMonitor(deps, {
        name: f.name || f.url || f.host || "monitor",
        kind: (f.kind as "http") ?? "http",
        url: f.url || null,
        host: f.host || null,
        port: num(f.port) ?? null,
        service: f.service || null,
        environment: f.environment || null,
        interval: num(f.interval),
        keyword: f.keyword || null,
      });
    });
    if (!result.ok) return listPage(c, { values: f, errors: result.errors }, 422);
    const { monitor, pushToken } = result.value;
    // a push monitor's secret URL is shown this once, never put in a redirect
    if (pushToken) return detailPage(c, monitor.id, `${h.publicUrl}/push/${pushToken}`);
    return afterChange(c, `/monitors/${monitor.id}`, () => listPage(c));
  });

  const ofMonitor = (c: { req: { param: (k: string) => string | undefined } }) =>
    monitorService(deps, Number(c.req.param("id")));

  const detailPage = (c: Parameters<typeof render>[0], id: number, pushUrl?: string) => {
    const d = monitorDetail(deps, id);
    const now = deps.monitoring.clock.now();
    const buckets = recentBuckets(deps.monitoring.repos, now, 24, id).get(id);
    return render(c, {
      page: "pages/monitoring/show.njk",
      partial: "partials/monitoring/_detail.njk",
      ctx: {
        title: d.monitor.name,
        nav: "monitors",
        m: d.monitor,
        uptime: d.uptime,
        p50: d.p50Ms,
        p95: d.p95Ms,
        bars: uptimeBars(buckets, now, 24, 96, 384),
        spark: sparkline(lastLatencies(id, 200), 600, 60),
        checks: deps.monitoring.repos.checks.recent(id, 50),
        incidents: deps.monitoring.repos.incidents
          .list({ monitorIds: [id], limit: 20 })
          .map(presentIncident),
        canWrite: mayWrite(c.get("principal"), d.monitor.service),
        pushUrl,
      },
    });
  };
  ui.get("/monitors/:id{[0-9]+}", guard("monitors.read", ofMonitor), (c) =>
    detailPage(c, Number(c.req.param("id"))),
  );

  for (const action of ["pause", "resume"] as const)
    ui.post(`/monitors/:id{[0-9]+}/${action}`, guard("monitors.write", ofMonitor), (c) => {
      const id = Number(c.req.param("id"));
      setPaused(deps, id, action === "pause");
      return c.redirect(`/monitors/${id}`, 303);
    });

  ui.get("/incidents", guard("monitors.read"), (c) => {
    const p = c.get("principal") as Principal;
    const ids = visible(p).map((m) => m.id);
    return render(c, {
      page: "pages/monitoring/incidents.njk",
      partial: "partials/monitoring/_incidents.njk",
      ctx: {
        title: "Incidents",
        nav: "monitors",
        incidents: deps.monitoring.repos.incidents
          .list({ monitorIds: ids, limit: 200 })
          .map(presentIncident),
      },
    });
  });
  app.route("/", ui);
}
