import type { DeploymentStatus } from "../../domain/releases/deployment.ts";
import type { Db } from "../client.ts";

/** One service × environment, with what the dashboard shows of it, read in one query. */
export type BoardRow = {
  serviceId: number;
  service: string;
  kind: string;
  environmentId: number;
  environment: string;
  liveId: string | null;
  liveMessage: string | null;
  liveCommit: string | null;
  liveAt: number | null;
  liveCreatedAt: number | null;
  liveBy: string | null;
  newestId: string | null;
  newestStatus: DeploymentStatus | null;
  newestAt: number | null;
  buildId: string | null;
  buildStatus: string | null;
  buildAt: number | null;
  buildRef: string | null;
};

const like = (q: string) => `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/**
 * The home page's reads, batched: a page of services (by name) with every environment,
 * its live and newest deployment, and its last build. Index lookups only, so 200
 * services stay well under the page budget.
 */
export function createBoardRepo(db: Db) {
  const c = db.$client;
  return {
    /** Names of the services on one page (visible ones only), and whether more follow. */
    servicePage(visible: (name: string) => boolean, q: string, offset: number, limit: number) {
      const rows = (
        q
          ? c
              .prepare(
                `SELECT DISTINCT s.id, s.name FROM services s LEFT JOIN environments e ON e.service_id = s.id
                 WHERE s.name LIKE ? ESCAPE '\\' OR e.name LIKE ? ESCAPE '\\' ORDER BY s.name`,
              )
              .all(like(q), like(q))
          : c.prepare("SELECT id, name FROM services ORDER BY name").all()
      ) as { id: number; name: string }[];
      const seen = rows.filter((r) => visible(r.name));
      return { ids: seen.slice(offset, offset + limit).map((r) => r.id), total: seen.length };
    },
    rows(serviceIds: number[]): BoardRow[] {
      if (serviceIds.length === 0) return [];
      return c
        .prepare(
          `SELECT s.id AS serviceId, s.name AS service, s.kind AS kind,
             e.id AS environmentId, e.name AS environment,
             l.id AS liveId, l.message AS liveMessage, l."commit" AS liveCommit,
             l.activated_at AS liveAt, l.created_at AS liveCreatedAt,
             (SELECT b.triggered_by FROM artifacts a JOIN builds b ON b.id = a.build_id
               WHERE a.id = l.artifact_id) AS liveBy,
             n.id AS newestId, n.status AS newestStatus, n.created_at AS newestAt,
             lb.id AS buildId, lb.status AS buildStatus, lb.created_at AS buildAt, lb.ref AS buildRef
           FROM services s JOIN environments e ON e.service_id = s.id
           LEFT JOIN deployments l ON l.id = e.live_deployment_id
           LEFT JOIN deployments n ON n.id =
             (SELECT id FROM deployments WHERE environment_id = e.id ORDER BY id DESC LIMIT 1)
           LEFT JOIN builds lb ON lb.id =
             (SELECT id FROM builds WHERE service_id = s.id AND (environment = e.name OR environment IS NULL)
              ORDER BY id DESC LIMIT 1)
           WHERE s.id IN (${serviceIds.map(() => "?").join(",")})
           ORDER BY s.name, e.name`,
        )
        .all(...serviceIds) as BoardRow[];
    },
    /**
     * Who made uploads, rollbacks and redeploys: successful state-changing requests on
     * environment paths since `since`, oldest first (the audit trail is the record).
     */
    environmentActions(since: number): { actor: string; target: string; at: number }[] {
      return c
        .prepare(
          `SELECT actor, request AS target, at FROM audit_events
           WHERE at >= ? AND result = 'ok' AND request LIKE '%/environments/%' ORDER BY at LIMIT 20000`,
        )
        .all(since) as { actor: string; target: string; at: number }[];
    },
    /** Bumps whenever a deployment, build or error report moves: the live page's cue. */
    version(): string {
      const r = c
        .prepare(
          `SELECT (SELECT max(id) FROM deployment_logs) AS d, (SELECT max(id) FROM build_logs) AS b,
             (SELECT max(id) FROM error_events) AS e, (SELECT max(id) FROM environment_events) AS v,
             (SELECT count(*) FROM services) AS s`,
        )
        .get() as Record<string, number | null>;
      return `${r.d}:${r.b}:${r.e}:${r.v}:${r.s}`;
    },
  };
}

export type BoardRepo = ReturnType<typeof createBoardRepo>;
