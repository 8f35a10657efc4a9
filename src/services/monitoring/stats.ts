import { KEEP_MS, percentile } from "../../domain/monitoring/monitoring.ts";
import type { MonitoringRepos } from "./repos.ts";

const DAY = 86_400_000;

export type Uptime = { h24: number | null; d7: number | null; d30: number | null };
export type Summary = { uptime: Uptime; p50Ms: number | null; p95Ms: number | null };

const ratio = (t: { up: number; down: number } | undefined) =>
  t && t.up + t.down > 0 ? Math.round((t.up / (t.up + t.down)) * 100_000) / 1000 : null;

/**
 * Uptime of monitors. For a few (a monitor's page): 24 h from minute roll-ups, 7 d and
 * 30 d from hours, exact to the minute or hour. For all of them (the list), coarser rows
 * keep the cost flat with thousands: 24 h from hours (the current hour and the 24 before
 * it), 7 d and 30 d from days (whole UTC days, today included).
 */
export function uptimes(repos: MonitoringRepos, now: number, ids?: number[]): Map<number, Uptime> {
  const few = ids !== undefined && ids.length <= 50;
  const hour = now - (now % 3_600_000);
  const day = now - (now % DAY);
  const h24 = few
    ? repos.checks.totals("minute", now - KEEP_MS.minute, ids)
    : repos.checks.totals("hour", hour - DAY, ids);
  const d7 = few
    ? repos.checks.totals("hour", now - 7 * DAY, ids)
    : repos.checks.totals("day", day - 6 * DAY, ids);
  const d30 = few
    ? repos.checks.totals("hour", now - 30 * DAY, ids)
    : repos.checks.totals("day", day - 29 * DAY, ids);
  const out = new Map<number, Uptime>();
  for (const id of new Set([...h24.keys(), ...d7.keys(), ...d30.keys()]))
    out.set(id, { h24: ratio(h24.get(id)), d7: ratio(d7.get(id)), d30: ratio(d30.get(id)) });
  return out;
}

/** One monitor's uptime and response-time percentiles over the raw 24 h. */
export function summary(repos: MonitoringRepos, id: number, now: number): Summary {
  const lat = repos.checks.latencies(id, now - KEEP_MS.raw);
  return {
    uptime: uptimes(repos, now, [id]).get(id) ?? { h24: null, d7: null, d30: null },
    p50Ms: percentile(lat, 50),
    p95Ms: percentile(lat, 95),
  };
}

/**
 * Buckets of the last hours for uptime bars and sparklines: hour rows for every monitor
 * (24 a monitor: the list stays light with thousands), minute rows for one.
 */
export function recentBuckets(
  repos: MonitoringRepos,
  now: number,
  hours: number,
  monitorId?: number,
): Map<number, { bucket: number; up: number; down: number; avgMs: number }[]> {
  const out = new Map<number, { bucket: number; up: number; down: number; avgMs: number }[]>();
  const from = now - hours * 3_600_000;
  const rows =
    monitorId === undefined
      ? repos.checks.allSeries("hour", from - 3_600_000)
      : repos.checks.series(monitorId, "minute", from);
  for (const s of rows) {
    const list = out.get(s.monitorId) ?? [];
    list.push({
      bucket: s.bucket,
      up: s.up,
      down: s.down,
      avgMs: Math.round(s.latencySum / Math.max(1, s.up + s.down)),
    });
    out.set(s.monitorId, list);
  }
  return out;
}
