import { type BoardRepo, type BoardRow, createBoardRepo } from "../../db/dashboard/board-repo.ts";
import type { Permission } from "../../domain/auth/permissions.ts";
import type { Deps } from "../core/deps.ts";
import type { BoardList, DashboardPanel, ListItem, PanelCell } from "./panels.ts";

export type BoardQuery = { q: string; page: number; pageSize: number };

export type BoardEntry = BoardRow & {
  /** The first row of its service (the page prints the service name once). */
  first: boolean;
  span: number;
  /** Who put the live release there: the build's starter or the uploader. */
  who: string | null;
  cells: Record<string, PanelCell | undefined>;
};

export type Board = {
  rows: BoardEntry[];
  panels: { id: string; title: string }[];
  /** The board's own lists the viewer may see (the last job runs). */
  lists: { id: string; title: string; href: string; items: ListItem[] }[];
  page: number;
  pages: number;
  total: number;
  q: string;
};

const WHO_WINDOW = 10 * 60_000;

/** Uploads and rollbacks are audited when the request ends, just after the row was made. */
function uploaders(repo: BoardRepo, rows: BoardRow[]): Map<string, string> {
  const pending = rows.filter((r) => r.liveId && !r.liveBy && r.liveCreatedAt !== null);
  const out = new Map<string, string>();
  if (pending.length === 0) return out;
  const since = Math.min(...pending.map((r) => r.liveCreatedAt as number));
  const actions = repo.environmentActions(since);
  for (const r of pending) {
    const path = `/services/${r.service}/environments/${r.environment}/`;
    const created = r.liveCreatedAt as number;
    const hit = actions.find(
      (a) => a.at >= created && a.at <= created + WHO_WINDOW && a.target.includes(path),
    );
    if (hit) out.set(r.liveId as string, hit.actor);
  }
  return out;
}

export function createBoard(
  deps: Deps,
  panels: readonly DashboardPanel[],
  lists: readonly BoardList[] = [],
) {
  const repo = createBoardRepo(deps.db);

  return {
    version: () =>
      [
        repo.version(),
        ...panels.map((p) => p.version?.() ?? ""),
        ...lists.map((l) => l.version()),
      ].join("|"),
    /**
     * One page of the board, for the services `visible` lets through, with the lists
     * whose permission `may` grants.
     */
    read(
      visible: (service: string) => boolean,
      query: BoardQuery,
      may: (permission: Permission) => boolean = () => false,
    ): Board {
      const { ids, total } = repo.servicePage(
        visible,
        query.q,
        (query.page - 1) * query.pageSize,
        query.pageSize,
      );
      const rows = repo.rows(ids);
      const who = uploaders(repo, rows);
      const cells = panels.map((p) => ({ id: p.id, cells: p.cells(rows) }));
      const spans = new Map<number, number>();
      for (const r of rows) spans.set(r.serviceId, (spans.get(r.serviceId) ?? 0) + 1);
      const entries = rows.map((r, i) => ({
        ...r,
        first: i === 0 || rows[i - 1]?.serviceId !== r.serviceId,
        span: spans.get(r.serviceId) ?? 1,
        who: r.liveBy ?? (r.liveId ? (who.get(r.liveId) ?? null) : null),
        cells: Object.fromEntries(cells.map((c) => [c.id, c.cells.get(r.environmentId)])),
      }));
      return {
        rows: entries,
        panels: panels.map((p) => ({ id: p.id, title: p.title })),
        lists: lists
          .filter((l) => may(l.permission))
          .map((l) => ({ id: l.id, title: l.title, href: l.href, items: l.items() })),
        page: query.page,
        pages: Math.max(1, Math.ceil(total / query.pageSize)),
        total,
        q: query.q,
      };
    },
  };
}

export type BoardService = ReturnType<typeof createBoard>;
