import type { Db } from "../client.ts";

export type TrafficHour = { environmentId: number; hour: number; requests: number; bytes: number };

export function createTrafficRepo(db: Db) {
  const c = db.$client;
  const add = c.prepare(
    `INSERT INTO site_traffic (environment_id, hour, requests, bytes) VALUES (?, ?, ?, ?)
     ON CONFLICT (environment_id, hour) DO UPDATE SET requests = requests + excluded.requests,
       bytes = bytes + excluded.bytes`,
  );
  // an environment deleted since the count was taken has nothing to add to
  const exists = c.prepare("SELECT 1 FROM environments WHERE id = ?");
  const addAll = c.transaction((rows: TrafficHour[]) => {
    for (const r of rows)
      if (exists.get(r.environmentId)) add.run(r.environmentId, r.hour, r.requests, r.bytes);
  });
  return {
    add: (rows: TrafficHour[]) => addAll.immediate(rows),
    since(environmentIds: number[], since: number): TrafficHour[] {
      if (environmentIds.length === 0) return [];
      return c
        .prepare(
          `SELECT environment_id AS environmentId, hour, requests, bytes FROM site_traffic
           WHERE hour >= ? AND environment_id IN (${environmentIds.map(() => "?").join(",")})`,
        )
        .all(since, ...environmentIds) as TrafficHour[];
    },
    prune(before: number): void {
      c.prepare("DELETE FROM site_traffic WHERE hour < ?").run(before);
    },
  };
}

export type TrafficRepo = ReturnType<typeof createTrafficRepo>;
