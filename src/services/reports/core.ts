import { randomBytes } from "node:crypto";
import { createErrorGroupsRepo, type RecordResult } from "../../db/reports/groups-repo.ts";
import { createReportKeysRepo } from "../../db/reports/keys-repo.ts";
import type { Deps } from "../core/deps.ts";
import { createBus } from "../core/log-bus.ts";
import { createRateLimiter } from "./rate-limit.ts";
import type { ReportSettings } from "./settings.ts";
import { createWriter } from "./writer.ts";

export type ReportChange = {
  serviceId: number;
  groupId: number;
  created: boolean;
  regressed: boolean;
};

/** Error reporting's state: its repos, limits, rate limiter, writer and change feed. */
export function createReports(
  deps: Deps,
  settings: ReportSettings,
  clock: () => number = Date.now,
) {
  const bus = createBus<ReportChange>();
  const groups = createErrorGroupsRepo(deps.db);
  const writer = createWriter({
    recordMany: groups.recordMany,
    changed(serviceId: number, res: Exclude<RecordResult, { duplicate: true }>) {
      // an app that throws: its monitors check faster until it is healthy again
      const service = deps.repos.services.byId(serviceId)?.name;
      if (service) deps.events.emit("error.reported", { service });
      bus.publish("all", {
        serviceId,
        groupId: res.groupId,
        created: res.created,
        regressed: res.regressed,
      });
    },
    onError: (err, lost) => deps.logger.error({ err, lost }, "error events could not be stored"),
  });
  // every read of groups writes what was already answered first
  const fresh =
    <A extends unknown[], R>(fn: (...a: A) => R) =>
    (...a: A): R => {
      writer.flush();
      return fn(...a);
    };
  return {
    deps,
    settings,
    clock,
    keys: createReportKeysRepo(deps.db),
    groups: {
      byId: fresh(groups.byId),
      list: fresh(groups.list),
      setStatus: fresh(groups.setStatus),
      hours: fresh(groups.hours),
      openCounts: fresh(groups.openCounts),
      events: fresh(groups.events),
      prune: fresh(groups.prune),
    },
    writer,
    limiter: createRateLimiter(settings.ratePerMinute, clock),
    /** Every stored event, for live pages (the dashboard). */
    feed: bus,
  };
}

export type ReportsCore = ReturnType<typeof createReports>;

/** A fresh DSN public key: 32 hex digits, as Sentry's. */
export const newPublicKey = () => randomBytes(16).toString("hex");

/** Drops expired events and those past each group's cap, now and then every `everyMs`. */
export function startReportRetention(r: ReportsCore, everyMs = 10 * 60_000): () => void {
  const run = () => {
    try {
      const cutoff = r.clock() - r.settings.retentionDays * 86_400_000;
      const dropped = r.groups.prune(cutoff, r.settings.eventsPerGroup);
      if (dropped > 0) r.deps.logger.info({ dropped }, "error events pruned");
    } catch (err) {
      r.deps.logger.error({ err }, "error events could not be pruned");
    }
  };
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
