import { and, desc, eq, inArray } from "drizzle-orm";
import type { ContainerSpec } from "../../domain/containers/containers.ts";
import type { Db } from "../client.ts";
import { containerDeployments, containerSpecs } from "../schema/containers.ts";
import { deployments } from "../schema/index.ts";

export type SpecRow = typeof containerSpecs.$inferSelect;
export type SnapshotRow = typeof containerDeployments.$inferSelect;

/** Container specs per environment and the snapshot each container deployment applied. */
export function createContainersRepo(db: Db) {
  return {
    spec(environmentId: number): SpecRow | undefined {
      return db
        .select()
        .from(containerSpecs)
        .where(eq(containerSpecs.environmentId, environmentId))
        .get();
    },
    putSpec(tx: Db, row: Omit<SpecRow, "updatedAt">): void {
      const now = Date.now();
      tx.insert(containerSpecs)
        .values({ ...row, updatedAt: now })
        .onConflictDoUpdate({
          target: containerSpecs.environmentId,
          set: { ...row, updatedAt: now },
        })
        .run();
    },
    setStopped(tx: Db, environmentId: number, replicas: number | null): void {
      tx.update(containerSpecs)
        .set({ stoppedReplicas: replicas })
        .where(eq(containerSpecs.environmentId, environmentId))
        .run();
    },
    insertSnapshot(tx: Db, row: SnapshotRow): void {
      tx.insert(containerDeployments).values(row).run();
    },
    snapshot(deploymentId: string): SnapshotRow | undefined {
      return db
        .select()
        .from(containerDeployments)
        .where(eq(containerDeployments.deploymentId, deploymentId))
        .get();
    },
    setDigest(tx: Db, deploymentId: string, digest: string): void {
      tx.update(containerDeployments)
        .set({ imageDigest: digest })
        .where(eq(containerDeployments.deploymentId, deploymentId))
        .run();
    },
    /** The newest deployment of the environment that went live (or was, before a newer one). */
    lastGood(environmentId: number, except?: string): SnapshotRow | undefined {
      const rows = db
        .select({ snap: containerDeployments })
        .from(containerDeployments)
        .innerJoin(deployments, eq(deployments.id, containerDeployments.deploymentId))
        .where(
          and(
            eq(containerDeployments.environmentId, environmentId),
            inArray(deployments.status, ["live", "superseded"]),
          ),
        )
        .orderBy(desc(deployments.activatedAt), desc(deployments.id))
        .all();
      return rows.map((r) => r.snap).find((s) => s.deploymentId !== except);
    },
  };
}

export type ContainersRepo = ReturnType<typeof createContainersRepo>;
export type { ContainerSpec };
