import type { Db } from "../../db/client.ts";
import { createChecksRepo } from "../../db/monitoring/checks-repo.ts";
import { createIncidentsRepo } from "../../db/monitoring/incidents-repo.ts";
import { createMonitorsRepo } from "../../db/monitoring/monitors-repo.ts";

export function createMonitoringRepos(db: Db) {
  return {
    monitors: createMonitorsRepo(db),
    checks: createChecksRepo(db),
    incidents: createIncidentsRepo(db),
  };
}

export type MonitoringRepos = ReturnType<typeof createMonitoringRepos>;
