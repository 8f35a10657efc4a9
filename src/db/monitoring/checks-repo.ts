import { and, asc, desc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { bucketOf, STAT_GRAINS, type StatGrain } from "../../domain/monitoring/monitoring.ts";
import type { Db } from "../client.ts";
import { monitorChecks, monitorStats } from "../schema/index.ts";

export type CheckRow = typeof monitorChecks.$inferSelect;
export type NewCheck = Omit<CheckRow, "id">;
export type StatRow = typeof monitorStats.$inferSelect;

/** Raw checks and their roll-ups. Writes come in batches from the scheduler's writer. */
export function createChecksRepo(db: Db) {
  return {
    /**
     * Inserts raw checks and folds them into the minute, hour and day roll-ups. Called in
     * the caller's transaction (`_tx`), on the same connection, through prepared statements.
     */
    insertBatch(_tx: Db, checks: readonly NewCheck[]): void {
      if (checks.length === 0) return;
      const raw = db.$client.prepare(
        "insert into monitor_checks (monitor_id, at, ok, latency_ms, code, message) values (?, ?, ?, ?, ?, ?)",
      );
      for (const c of checks)
        raw.run(c.monitorId, c.at, c.ok ? 1 : 0, c.latencyMs, c.code, c.message);
      const agg = new Map<string, StatRow>();
      for (const c of checks) {
        for (const grain of STAT_GRAINS) {
          const bucket = bucketOf(c.at, grain);
          const key = `${c.monitorId}:${grain}:${bucket}`;
          const s = agg.get(key);
          if (!s) {
            agg.set(key, {
              monitorId: c.monitorId,
              grain,
              bucket,
              up: c.ok ? 1 : 0,
              down: c.ok ? 0 : 1,
              latencySum: c.latencyMs,
              latencyMin: c.latencyMs,
              latencyMax: c.latencyMs,
            });
          } else {
            s.up += c.ok ? 1 : 0;
            s.down += c.ok ? 0 : 1;
            s.latencySum += c.latencyMs;
            s.latencyMin = Math.min(s.latencyMin, c.latencyMs);
            s.latencyMax = Math.max(s.latencyMax, c.latencyMs);
          }
        }
      }
      const up = db.$client.prepare(
        `insert into monitor_stats (monitor_id, grain, bucket, up, down, latency_sum, latency_min, latency_max)
         values (?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (monitor_id, grain, bucket) do update set
           up = up + excluded.up, down = down + excluded.down,
           latency_sum = latency_sum + excluded.latency_sum,
           latency_min = min(latency_min, excluded.latency_min),
           latency_max = max(latency_max, excluded.latency_max)`,
      );
      for (const s of agg.values())
        up.run(
          s.monitorId,
          s.grain,
          s.bucket,
          s.up,
          s.down,
          s.latencySum,
          s.latencyMin,
          s.latencyMax,
        );
    },
    recent(monitorId: number, limit: number, before?: number): CheckRow[] {
      return db
        .select()
        .from(monitorChecks)
        .where(
          and(
            eq(monitorChecks.monitorId, monitorId),
            before ? lt(monitorChecks.at, before) : undefined,
          ),
        )
        .orderBy(desc(monitorChecks.at))
        .limit(limit)
        .all();
    },
    /** Latencies of successful checks since `from`, ascending (for p50/p95). */
    latencies(monitorId: number, from: number): number[] {
      return db
        .select({ l: monitorChecks.latencyMs })
        .from(monitorChecks)
        .where(
          and(
            eq(monitorChecks.monitorId, monitorId),
            gte(monitorChecks.at, from),
            eq(monitorChecks.ok, true),
          ),
        )
        .orderBy(asc(monitorChecks.latencyMs))
        .all()
        .map((r) => r.l);
    },
    /** up/down totals per monitor over a grain's buckets since `from`. */
    totals(
      grain: StatGrain,
      from: number,
      ids?: number[],
    ): Map<number, { up: number; down: number; latencySum: number }> {
      const rows = db
        .select({
          monitorId: monitorStats.monitorId,
          up: sql<number>`sum(${monitorStats.up})`,
          down: sql<number>`sum(${monitorStats.down})`,
          latencySum: sql<number>`sum(${monitorStats.latencySum})`,
        })
        .from(monitorStats)
        .where(
          and(
            eq(monitorStats.grain, grain),
            gte(monitorStats.bucket, from),
            ids ? inArray(monitorStats.monitorId, ids) : undefined,
          ),
        )
        .groupBy(monitorStats.monitorId)
        .all();
      return new Map(rows.map((r) => [r.monitorId, r]));
    },
    series(monitorId: number, grain: StatGrain, from: number): StatRow[] {
      return db
        .select()
        .from(monitorStats)
        .where(
          and(
            eq(monitorStats.monitorId, monitorId),
            eq(monitorStats.grain, grain),
            gte(monitorStats.bucket, from),
          ),
        )
        .orderBy(asc(monitorStats.bucket))
        .all();
    },
    /** Minute buckets of every monitor since `from`, for the list's bars and sparklines. */
    allSeries(grain: StatGrain, from: number): StatRow[] {
      return db
        .select()
        .from(monitorStats)
        .where(and(eq(monitorStats.grain, grain), gte(monitorStats.bucket, from)))
        .orderBy(asc(monitorStats.bucket))
        .all();
    },
    /** Removes raw checks before `rawBefore` (walking ids, which grow with time) and old roll-ups. */
    prune(rawBefore: number, statsBefore: Record<StatGrain, number>): number {
      const first = db.$client
        .prepare("select id from monitor_checks where at >= ? order by id limit 1")
        .get(rawBefore) as { id: number } | undefined;
      const res = first
        ? db.$client
            .prepare("delete from monitor_checks where id < ? and at < ?")
            .run(first.id, rawBefore)
        : db.$client.prepare("delete from monitor_checks where at < ?").run(rawBefore);
      for (const grain of STAT_GRAINS)
        db.delete(monitorStats)
          .where(and(eq(monitorStats.grain, grain), lt(monitorStats.bucket, statsBefore[grain])))
          .run();
      return res.changes;
    },
  };
}

export type ChecksRepo = ReturnType<typeof createChecksRepo>;
