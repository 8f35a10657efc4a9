import type {
  ErrorGroup,
  GroupFilter,
  GroupStatus,
  ReportEvent,
} from "../../domain/reports/reports.ts";
import type { Db } from "../client.ts";

type GroupRow = {
  id: number;
  service_id: number;
  key: string;
  title: string;
  culprit: string;
  level: ErrorGroup["level"];
  status: GroupStatus;
  regressed: number;
  count: number;
  users: number;
  environments: string;
  first_release: string | null;
  last_release: string | null;
  first_seen: number;
  last_seen: number;
  resolved_at: number | null;
};

const toGroup = (r: GroupRow): ErrorGroup => ({
  id: r.id,
  serviceId: r.service_id,
  key: r.key,
  title: r.title,
  culprit: r.culprit,
  level: r.level,
  status: r.status,
  regressed: r.regressed === 1,
  count: r.count,
  users: r.users,
  environments: JSON.parse(r.environments) as string[],
  firstRelease: r.first_release,
  lastRelease: r.last_release,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
  resolvedAt: r.resolved_at,
});

export type RecordInput = {
  serviceId: number;
  key: string;
  title: string;
  culprit: string;
  event: ReportEvent;
  user: string | null;
  now: number;
};
export type RecordResult =
  | { duplicate: true }
  | { duplicate: false; groupId: number; created: boolean; regressed: boolean };

const HOUR = 3_600_000;

/**
 * Groups and their events. The ingest path (record) is raw prepared SQL in one
 * transaction: it runs for every event an app sends.
 */
export function createErrorGroupsRepo(db: Db) {
  const c = db.$client;
  const seen = c.prepare("SELECT 1 FROM error_events WHERE service_id = ? AND event_id = ?");
  const find = c.prepare(
    "SELECT id, status, environments FROM error_groups WHERE service_id = ? AND key = ?",
  );
  const insertGroup = c.prepare(
    `INSERT INTO error_groups (service_id, key, title, culprit, level, status, count, users,
       environments, first_release, last_release, first_seen, last_seen)
     VALUES (?, ?, ?, ?, ?, 'unresolved', 1, 0, ?, ?, ?, ?, ?)`,
  );
  const bump = c.prepare(
    `UPDATE error_groups SET count = count + 1, last_seen = max(last_seen, ?),
       last_release = coalesce(?, last_release), level = ?, environments = ?,
       status = ?, regressed = ?, resolved_at = CASE WHEN ? THEN NULL ELSE resolved_at END
     WHERE id = ?`,
  );
  const insertEvent = c.prepare(
    `INSERT INTO error_events (service_id, group_id, event_id, received_at, timestamp, level,
       message, release, environment, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addUser = c.prepare(
    "INSERT OR IGNORE INTO error_group_users (group_id, user) VALUES (?, ?)",
  );
  const userBump = c.prepare("UPDATE error_groups SET users = users + 1 WHERE id = ?");
  const hour = c.prepare(
    `INSERT INTO error_group_hours (group_id, hour, count) VALUES (?, ?, 1)
     ON CONFLICT (group_id, hour) DO UPDATE SET count = count + 1`,
  );
  const byId = c.prepare("SELECT * FROM error_groups WHERE id = ?");

  const recordOne = (i: RecordInput): RecordResult => {
    const e = i.event;
    if (seen.get(i.serviceId, e.eventId)) return { duplicate: true };
    const env = e.environment;
    const existing = find.get(i.serviceId, i.key) as
      | { id: number; status: GroupStatus; environments: string }
      | undefined;
    let groupId: number;
    let regressed = false;
    if (!existing) {
      const envs = JSON.stringify(env ? [env] : []);
      groupId = Number(
        insertGroup.run(
          i.serviceId,
          i.key,
          i.title,
          i.culprit,
          e.level,
          envs,
          e.release,
          e.release,
          i.now,
          i.now,
        ).lastInsertRowid,
      );
    } else {
      groupId = existing.id;
      const envs = JSON.parse(existing.environments) as string[];
      if (env && !envs.includes(env)) envs.push(env);
      // a resolved group that happens again is reopened as a regression; ignored stays ignored
      regressed = existing.status === "resolved";
      bump.run(
        i.now,
        e.release,
        e.level,
        JSON.stringify(envs),
        regressed ? "unresolved" : existing.status,
        regressed ? 1 : 0,
        regressed ? 1 : 0,
        groupId,
      );
    }
    insertEvent.run(
      i.serviceId,
      groupId,
      e.eventId,
      i.now,
      e.timestamp,
      e.level,
      e.message,
      e.release,
      env,
      JSON.stringify(e),
    );
    if (i.user && addUser.run(groupId, i.user).changes > 0) userBump.run(groupId);
    hour.run(groupId, Math.floor(i.now / HOUR) * HOUR);
    return { duplicate: false, groupId, created: !existing, regressed };
  };
  // one transaction for a batch: a commit costs far more than the rows it writes
  const recordMany = c.transaction((items: RecordInput[]) => items.map(recordOne));

  return {
    record: (i: RecordInput): RecordResult => recordMany.immediate([i])[0] as RecordResult,
    recordMany: (items: RecordInput[]): RecordResult[] => recordMany.immediate(items),
    byId(id: number): ErrorGroup | undefined {
      const r = byId.get(id) as GroupRow | undefined;
      return r && toGroup(r);
    },
    list(serviceId: number, f: GroupFilter, limit = 100): ErrorGroup[] {
      const where = ["service_id = ?"];
      const args: unknown[] = [serviceId];
      if (f.status) {
        where.push("status = ?");
        args.push(f.status);
      }
      if (f.environment) {
        where.push("EXISTS (SELECT 1 FROM json_each(environments) WHERE value = ?)");
        args.push(f.environment);
      }
      if (f.release) {
        where.push(
          "(first_release = ? OR last_release = ? OR EXISTS (SELECT 1 FROM error_events e WHERE e.group_id = error_groups.id AND e.release = ?))",
        );
        args.push(f.release, f.release, f.release);
      }
      if (f.q) {
        where.push("(title LIKE ? ESCAPE '\\' OR culprit LIKE ? ESCAPE '\\')");
        const like = `%${f.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
        args.push(like, like);
      }
      const rows = c
        .prepare(
          `SELECT * FROM error_groups WHERE ${where.join(" AND ")} ORDER BY last_seen DESC LIMIT ?`,
        )
        .all(...args, limit) as GroupRow[];
      return rows.map(toGroup);
    },
    setStatus(id: number, status: GroupStatus, now: number): void {
      c.prepare(
        "UPDATE error_groups SET status = ?, regressed = 0, resolved_at = ? WHERE id = ?",
      ).run(status, status === "resolved" ? now : null, id);
    },
    /** Events per hour since `since`, keyed by group. */
    hours(groupIds: number[], since: number): Map<number, Map<number, number>> {
      const out = new Map<number, Map<number, number>>();
      if (groupIds.length === 0) return out;
      const rows = c
        .prepare(
          `SELECT group_id, hour, count FROM error_group_hours
           WHERE hour >= ? AND group_id IN (${groupIds.map(() => "?").join(",")})`,
        )
        .all(since, ...groupIds) as { group_id: number; hour: number; count: number }[];
      for (const r of rows) {
        const m = out.get(r.group_id) ?? new Map<number, number>();
        m.set(r.hour, r.count);
        out.set(r.group_id, m);
      }
      return out;
    },
    /** Open groups per service and how many of them were first seen since `since`. */
    openCounts(since: number): Map<number, { open: number; fresh: number }> {
      const rows = c
        .prepare(
          `SELECT service_id, count(*) AS open, sum(first_seen >= ?) AS fresh
           FROM error_groups WHERE status = 'unresolved' GROUP BY service_id`,
        )
        .all(since) as { service_id: number; open: number; fresh: number }[];
      return new Map(rows.map((r) => [r.service_id, { open: r.open, fresh: r.fresh }]));
    },
    events(
      groupId: number,
      limit = 50,
    ): { id: number; eventId: string; receivedAt: number; data: string }[] {
      return c
        .prepare(
          "SELECT id, event_id AS eventId, received_at AS receivedAt, data FROM error_events WHERE group_id = ? ORDER BY id DESC LIMIT ?",
        )
        .all(groupId, limit) as { id: number; eventId: string; receivedAt: number; data: string }[];
    },
    /** Drops events past retention, and beyond the newest `cap` of each group. */
    prune(olderThan: number, cap: number): number {
      const old = c.prepare("DELETE FROM error_events WHERE received_at < ?").run(olderThan);
      const over = c
        .prepare(
          `DELETE FROM error_events WHERE id IN (
             SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY group_id ORDER BY id DESC) AS n
                             FROM error_events) WHERE n > ?)`,
        )
        .run(cap);
      c.prepare("DELETE FROM error_group_hours WHERE hour < ?").run(olderThan);
      return old.changes + over.changes;
    },
  };
}

export type ErrorGroupsRepo = ReturnType<typeof createErrorGroupsRepo>;

/** Open groups per service × environment, and how many were first seen since `since`. */
export function openGroupsByEnvironment(db: Db, since: number) {
  const rows = db.$client
    .prepare(
      `SELECT g.service_id AS serviceId, coalesce(j.value, '') AS environment,
         count(*) AS open, sum(g.first_seen >= ?) AS fresh
       FROM error_groups g LEFT JOIN json_each(g.environments) j
       WHERE g.status = 'unresolved' GROUP BY g.service_id, j.value`,
    )
    .all(since) as { serviceId: number; environment: string; open: number; fresh: number }[];
  return rows;
}
