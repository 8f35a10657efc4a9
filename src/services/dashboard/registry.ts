import type { Deps } from "../core/deps.ts";
import type { ReportsCore } from "../reports/core.ts";
import { errorsPanel } from "./errors-panel.ts";
import { jobRunsList } from "./jobs-list.ts";
import { monitorsPanel } from "./monitors-panel.ts";
import type { BoardList, DashboardPanel } from "./panels.ts";
import { podsPanel } from "./pods-panel.ts";

/** Every column the home page shows beyond what's live and the last build, in order. */
export function dashboardPanels(deps: Deps, reports: ReportsCore): DashboardPanel[] {
  return [monitorsPanel(deps), errorsPanel(reports), podsPanel(deps)];
}

/** The board's own lists, for what belongs to no service. */
export function dashboardLists(deps: Deps): BoardList[] {
  return [jobRunsList(deps)];
}
