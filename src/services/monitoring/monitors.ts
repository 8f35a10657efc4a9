import { writeTx } from "../../db/client.ts";
import type { MonitorPatch, MonitorRow } from "../../db/monitoring/monitors-repo.ts";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import type { MonitorKind } from "../../domain/monitoring/monitoring.ts";
import type { Deps } from "../core/deps.ts";
import { getEnvironment, getService } from "../releases/catalog.ts";
import { hashToken, newPushToken } from "./index.ts";
import { summary } from "./stats.ts";

export type MonitorInput = {
  name: string;
  kind: MonitorKind;
  url?: string | null;
  host?: string | null;
  port?: number | null;
  service?: string | null;
  environment?: string | null;
  method?: string;
  headers?: Record<string, string>;
  body?: string | null;
  interval?: number;
  fastInterval?: number;
  failuresBeforeDown?: number;
  successesBeforeUp?: number;
  expectedStatus?: number;
  keyword?: string | null;
  keywordAbsent?: boolean;
  timeoutMs?: number;
  certExpiryDays?: number;
};

function checkTarget(
  kind: MonitorKind,
  url: string | null,
  host: string | null,
  port: number | null,
) {
  if (kind === "http" || kind === "test") {
    let u: URL | null = null;
    try {
      u = url ? new URL(url) : null;
    } catch {
      u = null;
    }
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:"))
      throw unprocessable("invalid_url", "url must be an absolute http(s) URL.", "url");
  }
  if (kind === "tcp" && (!host || !port))
    throw unprocessable(
      "invalid_target",
      "A TCP monitor needs host and port.",
      host ? "port" : "host",
    );
}

function bindings(deps: Deps, service?: string | null, env?: string | null) {
  if (env && !service)
    throw unprocessable("service_required", "environment needs service beside it.", "service");
  if (!service) return { serviceId: null, environmentId: null };
  if (env) {
    const found = getEnvironment(deps, service, env);
    return { serviceId: found.service.id, environmentId: found.environment.id };
  }
  return { serviceId: getService(deps, service).id, environmentId: null };
}

function timing(i: Partial<MonitorInput>, base: { intervalS: number; timeoutMs: number }) {
  const interval = i.interval ?? base.intervalS;
  const timeoutMs = i.timeoutMs ?? base.timeoutMs;
  if (timeoutMs >= interval * 1000)
    throw unprocessable(
      "timeout_too_long",
      "timeoutMs must be shorter than the interval.",
      "timeoutMs",
    );
}

export function getMonitor(deps: Deps, id: number): MonitorRow {
  const m = deps.monitoring.repos.monitors.byId(id);
  if (!m) throw notFound("monitor_not_found", `There is no monitor ${id}.`);
  return m;
}

/** The service a monitor belongs to for permissions: "" for one bound to none (global). */
export const monitorService = (deps: Deps, id: number) =>
  deps.monitoring.repos.monitors.byId(id)?.service ?? "";

/** Creates a monitor; a push monitor's secret URL token is returned once and stored hashed. */
export function createMonitor(
  deps: Deps,
  i: MonitorInput,
): { monitor: MonitorRow; pushToken: string | null } {
  checkTarget(i.kind, i.url ?? null, i.host ?? null, i.port ?? null);
  timing(i, { intervalS: 60, timeoutMs: 10_000 });
  const b = bindings(deps, i.service, i.environment);
  const pushToken = i.kind === "push" ? newPushToken() : null;
  const m = writeTx(deps.db, (tx) =>
    deps.monitoring.repos.monitors.insert(tx, {
      name: i.name,
      kind: i.kind,
      url: i.kind === "http" || i.kind === "test" ? (i.url ?? null) : null,
      host: i.kind === "tcp" ? (i.host ?? null) : null,
      port: i.kind === "tcp" ? (i.port ?? null) : null,
      method: i.method ?? "GET",
      headers: i.headers ?? {},
      body: i.body ?? null,
      ...b,
      intervalS: i.interval,
      fastIntervalS: i.fastInterval,
      failuresBeforeDown: i.failuresBeforeDown,
      successesBeforeUp: i.successesBeforeUp,
      expectedStatus: i.expectedStatus,
      keyword: i.keyword ?? null,
      keywordAbsent: i.keywordAbsent,
      timeoutMs: i.timeoutMs,
      certExpiryDays: i.certExpiryDays,
      pushTokenHash: pushToken ? hashToken(pushToken) : null,
    }),
  );
  deps.monitoring.scheduler.reload(m.id);
  return { monitor: getMonitor(deps, m.id), pushToken };
}

export function updateMonitor(deps: Deps, id: number, i: Partial<MonitorInput>): MonitorRow {
  const m = getMonitor(deps, id);
  if (i.kind && i.kind !== m.kind)
    throw unprocessable("kind_fixed", "A monitor's kind cannot change: make a new one.", "kind");
  if (m.auto && (i.url !== undefined || i.service !== undefined || i.environment !== undefined))
    throw conflict(
      "auto_monitor",
      "An automatic monitor follows its environment; only its timing and checks can change.",
    );
  checkTarget(
    m.kind,
    i.url !== undefined ? i.url : m.url,
    i.host !== undefined ? i.host : m.host,
    i.port !== undefined ? i.port : m.port,
  );
  timing(i, m);
  const patch: MonitorPatch = {};
  if (i.service !== undefined || i.environment !== undefined)
    Object.assign(
      patch,
      bindings(
        deps,
        i.service ?? m.service,
        i.environment !== undefined ? i.environment : m.environment,
      ),
    );
  const direct = [
    "name",
    "url",
    "host",
    "port",
    "method",
    "headers",
    "body",
    "keyword",
    "keywordAbsent",
    "timeoutMs",
    "expectedStatus",
    "failuresBeforeDown",
    "successesBeforeUp",
    "certExpiryDays",
  ] as const;
  for (const k of direct) if (i[k] !== undefined) Object.assign(patch, { [k]: i[k] });
  if (i.interval !== undefined) patch.intervalS = i.interval;
  if (i.fastInterval !== undefined) patch.fastIntervalS = i.fastInterval;
  writeTx(deps.db, (tx) => deps.monitoring.repos.monitors.update(tx, id, patch));
  deps.monitoring.scheduler.reload(id);
  return getMonitor(deps, id);
}

export function deleteMonitor(deps: Deps, id: number): void {
  const m = getMonitor(deps, id);
  if (m.auto)
    throw conflict(
      "auto_monitor",
      "Switch the environment's automatic monitor off instead of deleting it.",
    );
  writeTx(deps.db, (tx) => deps.monitoring.repos.monitors.delete(tx, id));
  deps.monitoring.scheduler.remove(id);
}

export function setPaused(deps: Deps, id: number, paused: boolean): MonitorRow {
  getMonitor(deps, id);
  writeTx(deps.db, (tx) =>
    deps.monitoring.repos.monitors.update(tx, id, {
      paused,
      status: paused ? "paused" : "pending",
    }),
  );
  deps.monitoring.scheduler.reload(id);
  return getMonitor(deps, id);
}

/** Status, uptime and percentiles of one monitor. */
export function monitorDetail(deps: Deps, id: number) {
  const m = getMonitor(deps, id);
  const live = deps.monitoring.scheduler.state(id);
  return {
    monitor: { ...m, status: live?.status ?? m.status },
    ...summary(deps.monitoring.repos, id, deps.monitoring.clock.now()),
  };
}

/** The push URL was called: false when no monitor has that token (or it is paused). */
export function receivePush(deps: Deps, token: string): boolean {
  const m = deps.monitoring.repos.monitors.byPushToken(hashToken(token));
  return m ? deps.monitoring.scheduler.push(m.id) : false;
}

export function addWindow(
  deps: Deps,
  w: { monitorId: number | null; startsAt: number; endsAt: number; note: string },
) {
  if (w.monitorId !== null) getMonitor(deps, w.monitorId);
  if (w.endsAt <= w.startsAt)
    throw unprocessable("invalid_window", "endsAt must be after startsAt.", "endsAt");
  const row = writeTx(deps.db, (tx) => deps.monitoring.repos.incidents.addWindow(tx, w));
  deps.monitoring.scheduler.setWindows(deps.monitoring.repos.incidents.windows());
  return row;
}

export function deleteWindow(deps: Deps, id: number): void {
  if (!writeTx(deps.db, (tx) => deps.monitoring.repos.incidents.deleteWindow(tx, id)))
    throw notFound("window_not_found", `There is no maintenance window ${id}.`);
  deps.monitoring.scheduler.setWindows(deps.monitoring.repos.incidents.windows());
}
