import type { Permission } from "../../domain/auth/permissions.ts";

/**
 * The home page's extra columns. Each capability that has something to say about an
 * environment (monitors, error reports, container pods) provides one
 * panel; they are listed once, in `dashboardPanels` (registry.ts).
 */

/** The row a panel is asked about. */
export type BoardKey = {
  serviceId: number;
  service: string;
  /** The service's kind: "static" or "container". */
  kind: string;
  environmentId: number;
  environment: string;
};

/** One cell: plain text (escaped), an optional inline SVG made from numbers, a link, a tone. */
export type PanelCell = {
  text: string;
  tone?: "ok" | "bad" | "warn" | "muted";
  href?: string;
  title?: string;
  /** Markup from a numbers-only chart helper (src/http/reports/svg.ts); never user text. */
  svg?: string;
};

export type DashboardPanel = {
  /** Stable id, used in markup: "errors", "monitors", "jobs", "pods". */
  id: string;
  /** Column heading. */
  title: string;
  /** Cells for the rows on the page, keyed by environment id; one call per page (batch it). */
  cells(rows: readonly BoardKey[]): Map<number, PanelCell>;
  /**
   * What the panel shows beyond the database rows the pulse reads (a cluster's state, say):
   * a string that moves when its cells would. Asked once a second while anyone watches.
   */
  version?(): string;
};

/** One line of a board list: a status badge, a name, a time. */
export type ListItem = { status: string; text: string; href: string; at: number | null };

/**
 * A small list of the board's own, for what belongs to no service (the last job runs):
 * shown beside the table to viewers holding its permission.
 */
export type BoardList = {
  id: string;
  title: string;
  /** Where its "all" link goes. */
  href: string;
  permission: Permission;
  items(): ListItem[];
  /** As for a panel: moves when its items would. */
  version(): string;
};
