import type { RunFilter } from "../../db/jobs/runs-repo.ts";
import { unprocessable } from "../../domain/errors.ts";
import { OUTCOMES, RUN_STATUSES, type RunStatus } from "../../domain/jobs/jobs.ts";
import type { Deps } from "../core/deps.ts";

export type RunQuery = {
  status?: string;
  job?: string;
  category?: string;
  tag?: string;
  who?: string;
  from?: string;
  to?: string;
  q?: string;
  before?: string;
  limit?: number;
};

const time = (field: string, v: string | undefined) => {
  if (!v) return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw unprocessable("invalid_time", `${field} is not a time.`, field);
  return t;
};

/** Words of a search as FTS5 phrases: user text never reaches the query syntax. */
export function ftsQuery(q: string): string {
  return q
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 20)
    .map((w) => `"${w.replaceAll('"', '""')}"`)
    .join(" ");
}

export function findRuns(deps: Deps, q: RunQuery) {
  const status = q.status
    ?.split(",")
    .filter(Boolean)
    .map((s) => {
      if (!(RUN_STATUSES as readonly string[]).includes(s))
        throw unprocessable("invalid_status", `There is no status ${s}.`, "status");
      return s as RunStatus;
    });
  let jobId: number | undefined;
  if (q.job) {
    jobId = deps.jobs.repos.jobs.byName(q.job)?.id ?? -1;
  }
  const f: RunFilter = {
    status,
    jobId,
    category: q.category || undefined,
    tag: q.tag || undefined,
    who: q.who || undefined,
    from: time("from", q.from),
    to: time("to", q.to),
    q: q.q ? ftsQuery(q.q) || undefined : undefined,
    before: q.before || undefined,
    limit: Math.min(Math.max(1, q.limit ?? 50), 200),
  };
  return deps.jobs.repos.runs.list(f);
}

/** Per category: its jobs and how many runs ended in each outcome. */
export function categories(deps: Deps) {
  const out = new Map<string, { name: string; jobs: number; counts: Record<string, number> }>();
  const entry = (name: string) => {
    let e = out.get(name);
    if (!e) {
      e = { name, jobs: 0, counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) };
      out.set(name, e);
    }
    return e;
  };
  for (const j of deps.jobs.repos.jobs.list()) entry(j.category).jobs++;
  for (const row of deps.jobs.repos.runs.countsByCategory()) {
    const e = entry(row.category);
    if (row.status in e.counts) e.counts[row.status] = row.n;
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}
