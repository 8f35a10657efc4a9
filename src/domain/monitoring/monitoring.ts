/** Monitors: kinds, states and the pure rules of thresholds, intervals and roll-ups. */
export const MONITOR_KINDS = ["http", "tcp", "push", "test"] as const;
export type MonitorKind = (typeof MONITOR_KINDS)[number];

export const MONITOR_STATUSES = ["pending", "up", "down", "paused"] as const;
export type MonitorStatus = (typeof MONITOR_STATUSES)[number];

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export const STAT_GRAINS = ["minute", "hour", "day"] as const;
export type StatGrain = (typeof STAT_GRAINS)[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
export const GRAIN_MS: Record<StatGrain, number> = { minute: MINUTE, hour: HOUR, day: DAY };

/** How long each kind of row is kept (Uptime Kuma v2's model: raw and minutes a day). */
export const KEEP_MS = {
  raw: DAY,
  minute: DAY,
  hour: 30 * DAY,
  day: 365 * DAY,
} as const;

export const bucketOf = (at: number, grain: StatGrain) => at - (at % GRAIN_MS[grain]);

export type Monitor = {
  id: number;
  name: string;
  kind: MonitorKind;
  url: string | null;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  host: string | null;
  port: number | null;
  environmentId: number | null;
  serviceId: number | null;
  auto: boolean;
  intervalS: number;
  fastIntervalS: number;
  failuresBeforeDown: number;
  successesBeforeUp: number;
  expectedStatus: number;
  keyword: string | null;
  keywordAbsent: boolean;
  timeoutMs: number;
  certExpiryDays: number;
  pushTokenHash: string | null;
  paused: boolean;
  status: MonitorStatus;
  createdAt: number;
};

export type CheckResult = {
  ok: boolean;
  latencyMs: number;
  code: number | null;
  message: string;
  /** Days until the TLS certificate expires, for https targets. */
  certDaysLeft?: number;
};

/** What a monitor's counters are between checks. */
export type MonitorState = {
  status: MonitorStatus;
  failures: number;
  successes: number;
  /** Set by a trigger (error report, build start): check fast until healthy again. */
  suspect: boolean;
};

export type Transition = "down" | "up" | null;

/**
 * Applies one check to the counters: DOWN after `failuresBeforeDown` failures in a row,
 * UP again after `successesBeforeUp` successes (a monitor never seen up goes up at once).
 */
export function applyCheck(
  s: MonitorState,
  ok: boolean,
  t: { failuresBeforeDown: number; successesBeforeUp: number },
): { state: MonitorState; transition: Transition } {
  if (ok) {
    const successes = s.successes + 1;
    const next = { ...s, failures: 0, successes };
    if (s.status === "down" && successes >= t.successesBeforeUp)
      return { state: { ...next, status: "up", suspect: false }, transition: "up" };
    if (s.status === "pending") return { state: { ...next, status: "up" }, transition: null };
    if (s.status === "up") return { state: { ...next, suspect: false }, transition: null };
    return { state: next, transition: null };
  }
  const failures = s.failures + 1;
  const next = { ...s, failures, successes: 0 };
  if (s.status !== "down" && failures >= t.failuresBeforeDown)
    return { state: { ...next, status: "down" }, transition: "down" };
  return { state: next, transition: null };
}

/** The fast interval while failing, down or suspect; the normal one otherwise. */
export function intervalMs(s: MonitorState, m: { intervalS: number; fastIntervalS: number }) {
  const fast = s.failures > 0 || s.status === "down" || s.suspect;
  return (fast ? Math.min(m.fastIntervalS, m.intervalS) : m.intervalS) * 1000;
}

/** Nearest-rank percentile of sorted numbers; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

export type MaintenanceWindow = {
  id: number;
  monitorId: number | null;
  startsAt: number;
  endsAt: number;
  note: string;
};

export const inMaintenance = (w: readonly MaintenanceWindow[], monitorId: number, at: number) =>
  w.some(
    (x) => (x.monitorId === null || x.monitorId === monitorId) && x.startsAt <= at && at < x.endsAt,
  );

export type Incident = {
  id: string;
  monitorId: number;
  startedAt: number;
  endedAt: number | null;
  message: string;
  deploymentId: string | null;
  buildId: string | null;
  context: string | null;
  suppressed: boolean;
};

/** "down 3 min after deployment X went live", from what happened just before. */
export function incidentContext(
  startedAt: number,
  deployment: { id: string; activatedAt: number } | null,
  build: { id: string; at: number; status: string } | null,
): string | null {
  const mins = (ms: number) => {
    const m = Math.max(0, Math.round(ms / MINUTE));
    return m < 1 ? "less than a minute" : `${m} min`;
  };
  const parts: string[] = [];
  if (deployment)
    parts.push(
      `down ${mins(startedAt - deployment.activatedAt)} after deployment ${deployment.id} went live`,
    );
  if (build) parts.push(`${mins(startedAt - build.at)} after build ${build.id} (${build.status})`);
  return parts.length ? parts.join("; ") : null;
}

/** A monitor with the names of the service and environment it watches, if any. */
export type MonitorRow = Monitor & { service: string | null; environment: string | null };

export type CheckRecord = {
  id: number;
  monitorId: number;
  at: number;
  ok: boolean;
  latencyMs: number;
  code: number | null;
  message: string;
};

export type IncidentRow = Incident & { monitorName: string };
