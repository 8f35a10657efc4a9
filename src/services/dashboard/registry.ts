import type { Deps } from "../core/deps.ts";
import type { ReportsCore } from "../reports/core.ts";
import { errorsPanel } from "./errors-panel.ts";
import { jobRunsList } from "./jobs-list.ts";
import { type BoardList, type DashboardPanel, emptySlot } from "./panels.ts";
import { podsPanel } from "./pods-panel.ts";

/**
 * Every column the home page shows beyond what's live and the last build, in order.
 * At merge, replace the empty slot with its capability's panel:
 *   monitors   → up/down and a 24 h uptime bar (PanelCell.svg from uptimeBar)
 * (it takes what it needs from `deps`).
 */
export function dashboardPanels(deps: Deps, reports: ReportsCore): DashboardPanel[] {
  return [emptySlot("monitors", "Monitor"), errorsPanel(reports), podsPanel(deps)];
}

/** The board's own lists, for what belongs to no service. */
export function dashboardLists(deps: Deps): BoardList[] {
  return [jobRunsList(deps)];
}
