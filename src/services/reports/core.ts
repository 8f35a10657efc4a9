import { randomBytes } from "node:crypto";
import { createErrorGroupsRepo, type RecordResult } from "../../db/reports/groups-repo.ts";
import { createReportKeysRepo } from "../../db/reports/keys-repo.ts";
import type { Deps } from "../deps.ts";
import { createBus } from "../log-bus.ts";
import { createRateLimiter } from "./rate-limit.ts";
import type { ReportSettings } from "./settings.ts";

export type ReportChange = {
  serviceId: number;
  groupId: number;
  created: boolean;
  regressed: boolean;
};

/** Error reporting's state: its repos, limits, rate limiter and change feed. */
export function createReports(
  deps: Deps,
  settings: ReportSettings,
  clock: () => number = Date.now,
) {
  const bus = createBus<ReportChange>();
  return {
    deps,
    settings,
    clock,
    keys: createReportKeysRepo(deps.db),
    groups: createErrorGroupsRepo(deps.db),
    limiter: createRateLimiter(settings.ratePerMinute, clock),
    /** Every stored event, for live pages (the dashboard). */
    feed: bus,
    changed(serviceId: number, res: Exclude<RecordResult, { duplicate: true }>) {
      bus.publish("all", {
        serviceId,
        groupId: res.groupId,
        created: res.created,
        regressed: res.regressed,
      });
    },
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
