import { openGroupsByEnvironment } from "../../db/reports/groups-repo.ts";
import type { ReportsCore } from "../reports/core.ts";
import type { DashboardPanel, PanelCell } from "./panels.ts";

const DAY = 86_400_000;

/**
 * Open error groups (and how many are new in 24 h) per environment. A group whose events
 * name no environment counts on every environment of its service.
 */
export function errorsPanel(reports: ReportsCore): DashboardPanel {
  return {
    id: "errors",
    title: "Errors",
    cells(rows) {
      reports.writer.flush();
      const counts = openGroupsByEnvironment(reports.deps.db, reports.clock() - DAY);
      const at = new Map<string, { open: number; fresh: number }>();
      for (const r of counts) at.set(`${r.serviceId}/${r.environment}`, r);
      const out = new Map<number, PanelCell>();
      for (const row of rows) {
        const own = at.get(`${row.serviceId}/${row.environment}`);
        const anywhere = at.get(`${row.serviceId}/`);
        const open = (own?.open ?? 0) + (anywhere?.open ?? 0);
        const fresh = (own?.fresh ?? 0) + (anywhere?.fresh ?? 0);
        out.set(row.environmentId, {
          text: open === 0 ? "0" : fresh > 0 ? `${open} open · ${fresh} new` : `${open} open`,
          tone: open === 0 ? "muted" : fresh > 0 ? "bad" : "warn",
          href: `/services/${row.service}/errors?environment=${encodeURIComponent(row.environment)}`,
          title: `${open} unresolved error group(s), ${fresh} first seen in the last 24 h`,
        });
      }
      return out;
    },
  };
}
