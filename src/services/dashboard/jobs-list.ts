import type { Deps } from "../core/deps.ts";
import { findRuns } from "../jobs/find.ts";
import type { BoardList } from "./panels.ts";

const SHOWN = 5;

/**
 * The last job runs, newest first: jobs belong to no service, so they are a list of the
 * board's own rather than a column. One indexed read of the newest runs; its version is
 * the same read's ids and statuses, so a run that starts or ends moves the board.
 */
export function jobRunsList(deps: Deps): BoardList {
  const newest = () => findRuns(deps, { limit: SHOWN });
  return {
    id: "jobs",
    title: "Last job runs",
    href: "/runs",
    permission: "jobs.read",
    items() {
      const names = new Map<number, string>();
      return newest().map((r) => {
        let name = names.get(r.jobId);
        if (name === undefined) {
          name = deps.jobs.repos.jobs.byId(r.jobId)?.name ?? `job ${r.jobId}`;
          names.set(r.jobId, name);
        }
        return {
          status: r.status,
          text: name,
          href: `/runs/${r.id}`,
          at: r.finishedAt ?? r.startedAt ?? r.createdAt,
        };
      });
    },
    version: () =>
      newest()
        .map((r) => `${r.id}:${r.status}`)
        .join(","),
  };
}
