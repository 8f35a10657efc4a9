import type { Db } from "../../db/client.ts";
import { writeTx } from "../../db/client.ts";
import type { ChecksRepo, NewCheck } from "../../db/monitoring/checks-repo.ts";
import type { IncidentsRepo } from "../../db/monitoring/incidents-repo.ts";
import type { MonitorsRepo } from "../../db/monitoring/monitors-repo.ts";
import type { Incident, MonitorStatus } from "../../domain/monitoring/monitoring.ts";
import type { Logger } from "../../log.ts";

/**
 * Collects check results, incident changes and statuses in memory and writes them in one
 * transaction per flush: a check never waits on the database, and a busy database costs
 * one late flush rather than false "down" reports.
 */
export type Writer = {
  check(c: NewCheck): void;
  openIncident(i: Incident): void;
  closeIncident(id: string, endedAt: number): void;
  status(monitorId: number, status: MonitorStatus): void;
  flush(): number;
  start(): void;
  stop(): void;
  pending(): number;
};

const MAX_PENDING = 200_000;

export function createWriter(input: {
  db: Db;
  repos: { checks: ChecksRepo; incidents: IncidentsRepo; monitors: MonitorsRepo };
  logger: Logger;
  flushMs?: number;
}): Writer {
  let checks: NewCheck[] = [];
  let opens: Incident[] = [];
  let closes: { id: string; endedAt: number }[] = [];
  let statuses = new Map<number, MonitorStatus>();
  let timer: NodeJS.Timeout | null = null;

  function flush(): number {
    if (!checks.length && !opens.length && !closes.length && !statuses.size) return 0;
    const batch = { checks, opens, closes, statuses };
    checks = [];
    opens = [];
    closes = [];
    statuses = new Map();
    try {
      writeTx(input.db, (tx) => {
        // a check of a monitor deleted meanwhile would break the foreign key
        const known = new Set(
          input.db.$client.prepare("select id from monitors").pluck().all() as number[],
        );
        input.repos.checks.insertBatch(
          tx,
          batch.checks.filter((c) => known.has(c.monitorId)),
        );
        for (const i of batch.opens) if (known.has(i.monitorId)) input.repos.incidents.open(tx, i);
        for (const c of batch.closes) input.repos.incidents.close(tx, c.id, c.endedAt);
        input.repos.monitors.setStatuses(tx, batch.statuses);
      });
      return batch.checks.length;
    } catch (err) {
      input.logger.error(
        { err, checks: batch.checks.length },
        "monitor results could not be written: kept for the next flush",
      );
      // keep them, newest last, within a bound so a long outage cannot eat the memory
      checks = [...batch.checks, ...checks].slice(-MAX_PENDING);
      opens = [...batch.opens, ...opens];
      closes = [...batch.closes, ...closes];
      for (const [k, v] of batch.statuses) if (!statuses.has(k)) statuses.set(k, v);
      return 0;
    }
  }

  return {
    check: (c) => {
      checks.push(c);
    },
    openIncident: (i) => {
      opens.push(i);
    },
    closeIncident: (id, endedAt) => {
      closes.push({ id, endedAt });
    },
    status: (id, s) => {
      statuses.set(id, s);
    },
    flush,
    start() {
      timer ??= setInterval(flush, input.flushMs ?? 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      flush();
    },
    pending: () => checks.length,
  };
}
