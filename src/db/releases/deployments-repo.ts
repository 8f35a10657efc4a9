import { and, asc, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import {
  assertTransition,
  type DeploymentStatus,
  IN_FLIGHT,
  type LogLevel,
} from "../../domain/releases/deployment.ts";
import type { Deployment, LogLine } from "../../domain/releases/types.ts";
import type { Db } from "../client.ts";
import { deploymentLogs, deployments } from "../schema/index.ts";

export type NewDeployment = Pick<
  Deployment,
  | "id"
  | "environmentId"
  | "source"
  | "artifactId"
  | "redeployOf"
  | "bundleSha256"
  | "bundleFormat"
  | "bundleBytes"
  | "message"
  | "commit"
> & { stripFolder?: boolean };

export type DeploymentPatch = Partial<
  Pick<
    Deployment,
    | "fileCount"
    | "totalBytes"
    | "failedStage"
    | "errorCode"
    | "errorMessage"
    | "startedAt"
    | "finishedAt"
    | "activatedAt"
  >
>;

export function createDeploymentsRepo(db: Db) {
  const byId = db
    .select()
    .from(deployments)
    .where(eq(deployments.id, sql.placeholder("id")))
    .prepare();
  return {
    insert(tx: Db, d: NewDeployment): Deployment {
      return tx
        .insert(deployments)
        .values({ ...d, status: "queued" })
        .returning()
        .get();
    },
    byId(id: string): Deployment | undefined {
      return byId.get({ id });
    },
    /** Newest first; the cursor is the id of the last item of the previous page. */
    listForEnvironment(environmentId: number, limit: number, before?: string): Deployment[] {
      const where = before
        ? and(eq(deployments.environmentId, environmentId), lt(deployments.id, before))
        : eq(deployments.environmentId, environmentId);
      return db
        .select()
        .from(deployments)
        .where(where)
        .orderBy(desc(deployments.id))
        .limit(limit)
        .all();
    },
    /** Moves a deployment to a new status, refusing transitions the state machine forbids. */
    transition(tx: Db, id: string, to: DeploymentStatus, patch: DeploymentPatch = {}): Deployment {
      const current = tx.select().from(deployments).where(eq(deployments.id, id)).get();
      if (!current) throw new Error(`deployment ${id} vanished`);
      assertTransition(current.status, to);
      const row = tx
        .update(deployments)
        .set({ ...patch, status: to })
        .where(eq(deployments.id, id))
        .returning()
        .get();
      if (!row) throw new Error(`deployment ${id} vanished`);
      return row;
    },
    update(tx: Db, id: string, patch: DeploymentPatch & { pruned?: boolean }): void {
      tx.update(deployments).set(patch).where(eq(deployments.id, id)).run();
    },
    inFlight(): Deployment[] {
      return db
        .select()
        .from(deployments)
        .where(inArray(deployments.status, [...IN_FLIGHT]))
        .orderBy(asc(deployments.id))
        .all();
    },
    inFlightForEnvironments(environmentIds: number[]): number {
      if (environmentIds.length === 0) return 0;
      return db
        .select({ id: deployments.id })
        .from(deployments)
        .where(
          and(
            inArray(deployments.environmentId, environmentIds),
            inArray(deployments.status, [...IN_FLIGHT]),
          ),
        )
        .all().length;
    },
    /** Releases still on disk for an environment (reached live at least once), newest first. */
    onDisk(environmentId: number): Deployment[] {
      return db
        .select()
        .from(deployments)
        .where(
          and(
            eq(deployments.environmentId, environmentId),
            inArray(deployments.status, ["live", "superseded"]),
            eq(deployments.pruned, false),
          ),
        )
        .orderBy(desc(deployments.id))
        .all();
    },
    /** The superseded release on disk that was live most recently: the default rollback target. */
    previousGood(environmentId: number): Deployment | undefined {
      return db
        .select()
        .from(deployments)
        .where(
          and(
            eq(deployments.environmentId, environmentId),
            eq(deployments.status, "superseded"),
            eq(deployments.pruned, false),
          ),
        )
        .orderBy(desc(deployments.activatedAt), desc(deployments.id))
        .get();
    },
    referencedBundles(): Set<string> {
      const rows = db.selectDistinct({ sha: deployments.bundleSha256 }).from(deployments).all();
      return new Set(rows.map((r) => r.sha));
    },
    appendLog(
      tx: Db,
      line: { deploymentId: string; step: string; level: LogLevel; message: string },
    ): LogLine {
      return tx
        .insert(deploymentLogs)
        .values({ ...line, at: Date.now() })
        .returning()
        .get();
    },
    logs(deploymentId: string, afterId = 0): LogLine[] {
      return db
        .select()
        .from(deploymentLogs)
        .where(and(eq(deploymentLogs.deploymentId, deploymentId), gt(deploymentLogs.id, afterId)))
        .orderBy(asc(deploymentLogs.id))
        .all();
    },
  };
}

export type DeploymentsRepo = ReturnType<typeof createDeploymentsRepo>;
