import type { Deps } from "../core/deps.ts";
import type { ReportsCore } from "../reports/core.ts";
import { createReleaseDisk } from "../usage/disk.ts";
import { createHostSampler } from "../usage/host.ts";
import { createNginxLogReader } from "../usage/nginx-log.ts";
import { createTraffic } from "../usage/traffic.ts";
import { createBoard } from "./board.ts";
import { createPulse } from "./pulse.ts";
import { dashboardLists, dashboardPanels } from "./registry.ts";

/** The home page's parts: the board, its live cue, and the usage counters. */
export function createDashboard(deps: Deps, reports: ReportsCore) {
  const board = createBoard(deps, dashboardPanels(deps, reports), dashboardLists(deps));
  const pulse = createPulse(board.version);
  // an error report shows on the board at once, not at the next tick
  reports.feed.subscribe("all", () => pulse.poke());
  const traffic = createTraffic(deps);
  const environmentOf = (service: string, env: string) => {
    const s = deps.repos.services.byName(service);
    return s ? deps.repos.environments.byName(s.id, env)?.id : undefined;
  };
  return {
    deps,
    board,
    pulse,
    host: createHostSampler(deps.layout.dataDir),
    traffic,
    disk: createReleaseDisk(),
    // nginx mode: nginx serves the sites, its access logs say what it served
    nginxLog: createNginxLogReader(deps.layout.dataDir, environmentOf, traffic),
  };
}

export type Dashboard = ReturnType<typeof createDashboard>;

/** Starts the samplers and the traffic flush (main.ts); returns the stop. */
export function startDashboard(d: Dashboard): () => void {
  const stops = [d.host.start(), d.traffic.start()];
  if (d.deps.edge.mode === "nginx")
    stops.push(
      d.nginxLog.start(30_000, (err) =>
        d.deps.logger.error({ err }, "nginx logs could not be read"),
      ),
    );
  return () => {
    for (const stop of stops) stop();
  };
}
