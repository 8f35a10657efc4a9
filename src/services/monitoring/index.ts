import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../../db/client.ts";
import { writeTx } from "../../db/client.ts";
import { environmentLabel } from "../../domain/edge/hosts.ts";
import { KEEP_MS } from "../../domain/monitoring/monitoring.ts";
import type { Logger } from "../../log.ts";
import type { Events } from "../core/events.ts";
import type { SiteAddress } from "./checks.ts";
import { createMonitoringRepos } from "./repos.ts";
import { type Clock, createScheduler, systemClock } from "./scheduler.ts";
import { createWriter } from "./writer.ts";

export type MonitoringOptions = {
  db: Db;
  logger: Logger;
  events: Events;
  baseDomain: string;
  /** Berth's public URL: auto monitors use its scheme and port for site URLs. */
  publicUrl?: string;
  clock?: Clock;
  /** Automatic monitors of live environments (BERTH_AUTO_MONITORS); on by default. */
  autoMonitors?: boolean;
  onStart?: (lateMs: number) => void;
};

export type Monitoring = ReturnType<typeof createMonitoring>;

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
export const newPushToken = () => randomBytes(24).toString("base64url");

/** The monitoring capability: repos, the batched writer, the scheduler and its triggers. */
export function createMonitoring(o: MonitoringOptions) {
  const repos = createMonitoringRepos(o.db);
  const clock = o.clock ?? systemClock;
  const writer = createWriter({ db: o.db, repos, logger: o.logger });
  let site: SiteAddress | null = null;
  const scheduler = createScheduler({
    repos,
    writer,
    events: o.events,
    logger: o.logger,
    clock,
    site: () => site,
    onStart: o.onStart,
  });
  const timers: NodeJS.Timeout[] = [];
  let lastPrune = 0;

  const siteUrl = (service: string, env: string) => {
    const u = new URL(o.publicUrl ?? "http://localhost");
    u.hostname = `${environmentLabel(service, env)}.${o.baseDomain}`;
    return `${u.origin}/`;
  };

  /** One HTTP monitor per live environment that wants one; none for those that do not. */
  function reconcileAuto(): void {
    const live = o.autoMonitors === false ? [] : repos.monitors.liveEnvironments();
    const wanted = new Map(live.filter((e) => e.auto).map((e) => [e.environmentId, e]));
    const existing = repos.monitors.list().filter((m) => m.auto);
    const have = new Set(existing.map((m) => m.environmentId));
    const gone = [
      ...existing
        .filter((m) => m.environmentId === null || !wanted.has(m.environmentId))
        .map((m) => m.id),
      ...repos.monitors.orphans(),
    ];
    const added: number[] = [];
    writeTx(o.db, (tx) => {
      repos.monitors.deleteMany(tx, gone);
      for (const e of wanted.values()) {
        if (have.has(e.environmentId)) continue;
        const m = repos.monitors.insert(tx, {
          name: `${e.service}/${e.environment}`,
          kind: "http",
          url: siteUrl(e.service, e.environment),
          headers: {},
          environmentId: e.environmentId,
          serviceId: e.serviceId,
          auto: true,
          // a site may answer 200 or redirect; the automatic monitor accepts the default page
          expectedStatus: 200,
        });
        added.push(m.id);
      }
    });
    for (const id of gone) scheduler.remove(id);
    for (const id of added) scheduler.reload(id);
  }

  function prune(now = clock.now()): number {
    lastPrune = now;
    return repos.checks.prune(now - KEEP_MS.raw, {
      minute: now - KEEP_MS.minute,
      hour: now - KEEP_MS.hour,
      day: now - KEEP_MS.day,
    });
  }

  const envMonitorIds = (service: string, env: string) =>
    repos.monitors
      .list()
      .filter((m) => m.service === service && m.environment === env)
      .map((m) => m.id);

  // triggers: a deployment going live checks its environment at once; an error report
  // or a build starting makes the service's monitors fast until they are healthy
  o.events.on("deployment.live", (e) => {
    reconcileAuto();
    scheduler.checkSoon(envMonitorIds(e.service, e.environment));
  });
  o.events.on("rollback", (e) => scheduler.checkSoon(envMonitorIds(e.service, e.environment)));
  o.events.on("build.started", (e) => scheduler.suspect(e.service));
  o.events.on("error.reported", (e) => scheduler.suspect(e.service));

  return {
    repos,
    writer,
    scheduler,
    clock,
    reconcileAuto,
    prune,
    setSite(a: SiteAddress | null) {
      site = a;
    },
    /** Loads the monitors and runs them until stop(). */
    start(opts: { tickMs?: number; housekeepingMs?: number } = {}): void {
      reconcileAuto();
      scheduler.load();
      writer.start();
      timers.push(setInterval(() => scheduler.tick(), opts.tickMs ?? 100));
      timers.push(
        setInterval(() => {
          try {
            reconcileAuto();
            scheduler.setWindows(repos.incidents.windows());
            if (clock.now() - lastPrune > 3_600_000) prune();
          } catch (err) {
            o.logger.error({ err }, "monitor housekeeping failed");
          }
        }, opts.housekeepingMs ?? 60_000),
      );
    },
    async stop(): Promise<void> {
      for (const t of timers.splice(0)) clearInterval(t);
      await scheduler.settle();
      writer.stop();
    },
  };
}
