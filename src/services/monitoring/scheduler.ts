import type { MonitorRow } from "../../db/monitoring/monitors-repo.ts";
import { newId } from "../../domain/ids.ts";
import {
  applyCheck,
  type CheckResult,
  incidentContext,
  inMaintenance,
  intervalMs,
  type MaintenanceWindow,
  type MonitorState,
} from "../../domain/monitoring/monitoring.ts";
import type { Logger } from "../../log.ts";
import type { Events } from "../core/events.ts";
import { runCheck, type SiteAddress } from "./checks.ts";
import type { MonitoringRepos } from "./repos.ts";
import type { Writer } from "./writer.ts";

export type Clock = { now(): number };
export const systemClock: Clock = { now: () => Date.now() };

type Entry = {
  m: MonitorRow;
  state: MonitorState;
  nextAt: number;
  running: boolean;
  incident: { id: string; startedAt: number } | null;
  lastPushAt: number;
  lastLatency: number | null;
  certWarnedAt: number;
};

export type Scheduler = ReturnType<typeof createScheduler>;

const DAY = 86_400_000;

/**
 * Runs every monitor on its interval (the fast one while failing or suspect), applies
 * thresholds, opens and closes incidents, and hands every result to the batched writer.
 * Time comes from `clock`, so tests drive `tick()` by hand.
 */
export function createScheduler(input: {
  repos: MonitoringRepos;
  writer: Writer;
  events: Events;
  logger: Logger;
  clock?: Clock;
  /** Where auto monitors reach Berth's own sites; null: by their URL. */
  site?: () => SiteAddress | null;
  /** Called with how late each check started, in ms (the benchmark's drift). */
  onStart?: (lateMs: number) => void;
}) {
  const clock = input.clock ?? systemClock;
  const entries = new Map<number, Entry>();
  const inflight = new Set<Promise<void>>();
  let windows: MaintenanceWindow[] = [];

  const fresh = (m: MonitorRow, now: number, spread: boolean): Entry => ({
    m,
    state: {
      status: m.paused ? "paused" : m.status === "paused" ? "pending" : m.status,
      failures: 0,
      successes: 0,
      suspect: false,
    },
    // spread the first checks over one interval, so a restart is not a thundering herd
    nextAt: spread ? now + Math.floor(Math.random() * m.intervalS * 1000) : now,
    running: false,
    incident: null,
    lastPushAt: now,
    lastLatency: null,
    certWarnedAt: 0,
  });

  function load(spread = true): void {
    const now = clock.now();
    const open = new Map(input.repos.incidents.openOnes().map((i) => [i.monitorId, i]));
    for (const m of input.repos.monitors.list()) {
      const e = fresh(m, now, spread);
      const i = open.get(m.id);
      if (i) e.incident = { id: i.id, startedAt: i.startedAt };
      entries.set(m.id, e);
    }
    windows = input.repos.incidents.windows();
  }

  function reload(id: number): void {
    const m = input.repos.monitors.byId(id);
    if (!m) {
      entries.delete(id);
      return;
    }
    const old = entries.get(id);
    const e = fresh(m, clock.now(), false);
    if (old && !m.paused && old.state.status !== "paused") {
      e.state = old.state;
      e.incident = old.incident;
      e.lastPushAt = old.lastPushAt;
    }
    entries.set(id, e);
  }

  function tick(): number {
    const now = clock.now();
    let started = 0;
    for (const e of entries.values()) {
      if (e.running || e.m.paused || e.nextAt > now) continue;
      input.onStart?.(now - e.nextAt);
      started++;
      const p = run(e, now).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    return started;
  }

  async function run(e: Entry, at: number): Promise<void> {
    e.running = true;
    try {
      const result: CheckResult =
        e.m.kind === "push"
          ? pushResult(e, at)
          : await runCheck(e.m, e.m.auto ? (input.site?.() ?? null) : null);
      record(e, result, at);
    } catch (err) {
      input.logger.error({ err, monitor: e.m.id }, "a monitor check failed unexpectedly");
    } finally {
      e.running = false;
      e.nextAt = clock.now() + intervalMs(e.state, e.m);
    }
  }

  function pushResult(e: Entry, at: number): CheckResult {
    // Healthchecks' rule: one period plus a grace (here the fast interval) of silence
    const quiet = at - e.lastPushAt;
    const ok = quiet <= (e.m.intervalS + e.m.fastIntervalS) * 1000;
    return {
      ok,
      latencyMs: 0,
      code: null,
      message: ok ? "" : `no push for ${Math.round(quiet / 1000)} s`,
    };
  }

  function record(e: Entry, r: CheckResult, at: number): void {
    if (!entries.has(e.m.id)) return; // deleted while it ran
    input.writer.check({
      monitorId: e.m.id,
      at,
      ok: r.ok,
      latencyMs: r.latencyMs,
      code: r.code,
      message: r.message,
    });
    e.lastLatency = r.latencyMs;
    const before = e.state.status;
    const { state, transition } = applyCheck(e.state, r.ok, e.m);
    e.state = state;
    if (state.status !== before) input.writer.status(e.m.id, state.status);
    const quiet = inMaintenance(windows, e.m.id, at);
    if (transition === "down") down(e, r, at, quiet);
    if (transition === "up") up(e, at, quiet);
    if (
      r.certDaysLeft !== undefined &&
      r.certDaysLeft <= e.m.certExpiryDays &&
      at - e.certWarnedAt > DAY
    ) {
      e.certWarnedAt = at;
      if (!quiet)
        input.events.emit("certificate.expiring", {
          host: new URL(e.m.url ?? "http://unknown").hostname,
          service: e.m.service,
          environment: e.m.environment,
          daysLeft: r.certDaysLeft,
        });
    }
  }

  function down(e: Entry, r: CheckResult, at: number, quiet: boolean): void {
    const m = e.m;
    const deployment = m.environmentId ? input.repos.incidents.lastLive(m.environmentId, at) : null;
    const build = m.serviceId ? input.repos.incidents.lastBuild(m.serviceId, at) : null;
    const context = incidentContext(at, deployment, build);
    const id = newId(at);
    e.incident = { id, startedAt: at };
    input.writer.openIncident({
      id,
      monitorId: m.id,
      startedAt: at,
      endedAt: null,
      message: r.message,
      deploymentId: deployment?.id ?? null,
      buildId: build?.id ?? null,
      context,
      suppressed: quiet,
    });
    if (!quiet)
      input.events.emit("monitor.down", {
        monitorId: m.id,
        name: m.name,
        service: m.service,
        environment: m.environment,
        message: r.message,
        incidentId: id,
        context,
      });
  }

  function up(e: Entry, at: number, quiet: boolean): void {
    const i = e.incident;
    e.incident = null;
    if (!i) return;
    input.writer.closeIncident(i.id, at);
    if (!quiet)
      input.events.emit("monitor.up", {
        monitorId: e.m.id,
        name: e.m.name,
        service: e.m.service,
        environment: e.m.environment,
        incidentId: i.id,
        downForMs: at - i.startedAt,
      });
  }

  return {
    load,
    reload,
    tick,
    /** Resolves when every check started so far has been recorded. */
    async settle(): Promise<void> {
      while (inflight.size) await Promise.all([...inflight]);
    },
    remove(id: number): void {
      entries.delete(id);
    },
    /** A push arrived: an "up" result now, and the next deadline one interval away. */
    push(id: number): boolean {
      const e = entries.get(id);
      if (!e || e.m.paused) return false;
      const now = clock.now();
      e.lastPushAt = now;
      record(e, { ok: true, latencyMs: 0, code: null, message: "" }, now);
      e.nextAt = now + e.m.intervalS * 1000 + e.m.fastIntervalS * 1000;
      return true;
    },
    /** Checks these monitors at the next tick (a deployment went live). */
    checkSoon(ids: number[]): void {
      const now = clock.now();
      for (const id of ids) {
        const e = entries.get(id);
        if (e) e.nextAt = Math.min(e.nextAt, now);
      }
    },
    /** A service looks unwell (an error report, a build): its monitors go fast until healthy. */
    suspect(service: string): void {
      const now = clock.now();
      for (const e of entries.values()) {
        if (e.m.service !== service) continue;
        e.state = { ...e.state, suspect: true };
        e.nextAt = Math.min(e.nextAt, now + e.m.fastIntervalS * 1000);
      }
    },
    setWindows(w: MaintenanceWindow[]): void {
      windows = w;
    },
    state(id: number): (MonitorState & { nextAt: number; lastLatency: number | null }) | undefined {
      const e = entries.get(id);
      return e && { ...e.state, nextAt: e.nextAt, lastLatency: e.lastLatency };
    },
    states(): { id: number; status: string; latencyMs: number | null }[] {
      return [...entries.values()].map((e) => ({
        id: e.m.id,
        status: e.state.status,
        latencyMs: e.lastLatency,
      }));
    },
    size: () => entries.size,
  };
}
