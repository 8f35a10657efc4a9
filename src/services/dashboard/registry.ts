import type { Deps } from "../core/deps.ts";
import type { ReportsCore } from "../reports/core.ts";
import { errorsPanel } from "./errors-panel.ts";
import { type DashboardPanel, emptySlot } from "./panels.ts";

/**
 * Every column the home page shows beyond what's live and the last build, in order.
 * At merge, replace each empty slot with its capability's panel:
 *   monitors   → up/down and a 24 h uptime bar (PanelCell.svg from uptimeBar)
 *   jobs       → the last job runs
 *   pods       → container pods ready/total
 * (those panels take what they need from `_deps`).
 */
export function dashboardPanels(_deps: Deps, reports: ReportsCore): DashboardPanel[] {
  return [
    emptySlot("monitors", "Monitor"),
    errorsPanel(reports),
    emptySlot("jobs", "Last jobs"),
    emptySlot("pods", "Pods"),
  ];
}
