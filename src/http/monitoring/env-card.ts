import type { Hono } from "hono";
import { envMonitoring, setEnvMonitoring } from "../../services/monitoring/badges.ts";
import { recentBuckets, uptimes } from "../../services/monitoring/stats.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { readForm } from "../ui-shared.ts";
import { sparkline, uptimeBars } from "./charts.ts";

/** The small card on each environment page: its monitor, the switch, the badges. */
export function envMonitorCard(h: HttpDeps, service: string, env: string, environmentId: number) {
  const { deps } = h;
  const settings = envMonitoring(deps, service, env);
  const q = settings.badgesPublic ? "" : `?token=${settings.badgeToken}`;
  const envMonitoringView = {
    autoMonitor: settings.autoMonitor,
    badgesPublic: settings.badgesPublic,
    statusBadge: `${h.publicUrl}/badges/${service}/${env}/status.svg${q}`,
  };
  const m = deps.monitoring.repos.monitors.forEnvironment(environmentId)[0];
  if (!m) return { envMonitor: null, envMonitoring: envMonitoringView };
  const now = deps.monitoring.clock.now();
  const buckets = recentBuckets(deps.monitoring.repos, now, 24, m.id).get(m.id);
  return {
    envMonitoring: {
      ...envMonitoringView,
      uptimeBadge: `${h.publicUrl}/badges/monitors/${m.id}/uptime.svg${q}`,
    },
    envMonitor: {
      id: m.id,
      name: m.name,
      status: deps.monitoring.scheduler.state(m.id)?.status ?? m.status,
      uptime: uptimes(deps.monitoring.repos, now, [m.id]).get(m.id)?.h24 ?? null,
      bars: uptimeBars(buckets, now),
      spark: sparkline(
        deps.monitoring.repos.checks
          .recent(m.id, 30)
          .map((c) => c.latencyMs)
          .reverse(),
      ),
    },
  };
}

/** The card's form: the automatic monitor on or off, badges public or private. */
export function envMonitoringUi(app: Hono<Env>, h: HttpDeps): void {
  app.post(
    "/services/:service/environments/:env/monitoring",
    guard("services.write", serviceParam),
    async (c) => {
      const f = await readForm(c);
      const service = c.req.param("service");
      const env = c.req.param("env");
      setEnvMonitoring(h.deps, service, env, {
        autoMonitor: f.autoMonitor === "on",
        badgesPublic: f.badgesPublic === "on",
      });
      return c.redirect(`/services/${service}/environments/${env}#env-monitor`, 303);
    },
  );
}
