import type {
  CheckRecord as CheckRow,
  IncidentRow,
  MonitorRow,
} from "../../domain/monitoring/monitoring.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentMonitor(m: MonitorRow) {
  return {
    id: m.id,
    name: m.name,
    kind: m.kind,
    url: m.url,
    host: m.host,
    port: m.port,
    service: m.service,
    environment: m.environment,
    auto: m.auto,
    method: m.method,
    interval: m.intervalS,
    fastInterval: m.fastIntervalS,
    failuresBeforeDown: m.failuresBeforeDown,
    successesBeforeUp: m.successesBeforeUp,
    expectedStatus: m.expectedStatus,
    keyword: m.keyword,
    keywordAbsent: m.keywordAbsent,
    timeoutMs: m.timeoutMs,
    paused: m.paused,
    status: m.status,
    createdAt: new Date(m.createdAt).toISOString(),
  };
}

export const presentCheck = (c: CheckRow) => ({
  at: new Date(c.at).toISOString(),
  ok: c.ok,
  latencyMs: c.latencyMs,
  code: c.code,
  message: c.message,
});

export const presentIncident = (i: IncidentRow) => ({
  id: i.id,
  monitorId: i.monitorId,
  monitor: i.monitorName,
  startedAt: new Date(i.startedAt).toISOString(),
  endedAt: iso(i.endedAt),
  durationMs: i.endedAt === null ? null : i.endedAt - i.startedAt,
  message: i.message,
  deploymentId: i.deploymentId,
  buildId: i.buildId,
  context: i.context,
  suppressed: i.suppressed,
});
