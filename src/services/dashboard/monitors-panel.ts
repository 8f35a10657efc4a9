import type { Deps } from "../core/deps.ts";
import { uptimes } from "../monitoring/stats.ts";
import type { DashboardPanel, PanelCell } from "./panels.ts";

const tones: Record<string, PanelCell["tone"]> = {
  up: "ok",
  down: "bad",
  suspect: "warn",
  paused: "muted",
};

/**
 * Each environment's monitors at a glance: the worst state of them (down before
 * suspect before up) and the first one's uptime over 24 h, linked to its page.
 */
export function monitorsPanel(deps: Pick<Deps, "monitoring">): DashboardPanel {
  const { monitoring } = deps;
  const rank = (s: string) => (s === "down" ? 3 : s === "suspect" ? 2 : s === "up" ? 1 : 0);
  return {
    id: "monitors",
    title: "Monitor",
    // states live in the scheduler's memory: the live board moves when one flips
    version: () =>
      monitoring.scheduler
        .states()
        .map((m) => `${m.id}:${m.status}`)
        .join(","),
    cells(rows) {
      const live = new Map(monitoring.scheduler.states().map((s) => [s.id, s.status]));
      // one query for the page, however many rows it has
      const wanted = new Set(rows.map((r) => r.environmentId));
      const byEnv = new Map<number, ReturnType<typeof monitoring.repos.monitors.list>>();
      for (const m of monitoring.repos.monitors.list()) {
        if (m.environmentId === null || !wanted.has(m.environmentId)) continue;
        byEnv.set(m.environmentId, [...(byEnv.get(m.environmentId) ?? []), m]);
      }
      const ids = [...byEnv.values()].flat().map((m) => m.id);
      const up =
        ids.length > 0 ? uptimes(monitoring.repos, monitoring.clock.now(), ids) : new Map();
      const cells = new Map<number, PanelCell>();
      for (const [envId, list] of byEnv) {
        const first = list[0];
        if (!first) continue;
        const status = list
          .map((m) => live.get(m.id) ?? m.status)
          .reduce((a, b) => (rank(b) > rank(a) ? b : a));
        const h24 = up.get(first.id)?.h24;
        cells.set(envId, {
          text: `${status}${h24 === null || h24 === undefined ? "" : ` · ${h24}% 24 h`}`,
          tone: tones[status] ?? "muted",
          href: `/monitors/${first.id}`,
          title: list.length > 1 ? `${list.length} monitors` : first.name,
        });
      }
      return cells;
    },
  };
}
