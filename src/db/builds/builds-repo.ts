import { and, asc, desc, eq, gt, lt, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { artifacts, buildLogs, builds, gitSources, webhookDeliveries } from "../schema/index.ts";

export type GitSourceRow = typeof gitSources.$inferSelect;
export type Build = typeof builds.$inferSelect;
export type BuildLogLine = typeof buildLogs.$inferSelect;
export type Artifact = typeof artifacts.$inferSelect;
export type BuildPatch = Partial<Omit<Build, "id" | "serviceId" | "createdAt">>;

export function createBuildsRepo(db: Db) {
  // read on every webhook delivery: prepared once
  const sourceOf = db
    .select()
    .from(gitSources)
    .where(eq(gitSources.serviceId, sql.placeholder("serviceId")))
    .prepare();
  // written on every delivery, inside the transaction that queues its build (one
  // connection: a statement prepared on it runs in whatever transaction is open)
  const deliveryInsert = db
    .insert(webhookDeliveries)
    .values({
      provider: sql.placeholder("provider"),
      deliveryId: sql.placeholder("deliveryId"),
      serviceId: sql.placeholder("serviceId"),
      outcome: sql.placeholder("outcome"),
      receivedAt: sql.placeholder("receivedAt"),
    })
    .onConflictDoNothing()
    .prepare();
  return {
    source(serviceId: number): GitSourceRow | undefined {
      return sourceOf.get({ serviceId });
    },
    saveSource(tx: Db, row: GitSourceRow): void {
      tx.insert(gitSources)
        .values(row)
        .onConflictDoUpdate({ target: gitSources.serviceId, set: row })
        .run();
    },
    deleteSource(tx: Db, serviceId: number): void {
      tx.delete(gitSources).where(eq(gitSources.serviceId, serviceId)).run();
    },

    insert(tx: Db, b: typeof builds.$inferInsert): Build {
      return tx.insert(builds).values(b).returning().get();
    },
    byId(id: string): Build | undefined {
      return db.select().from(builds).where(eq(builds.id, id)).get();
    },
    update(id: string, patch: BuildPatch): Build | undefined {
      return db.update(builds).set(patch).where(eq(builds.id, id)).returning().get();
    },
    /** Newest first; the cursor is the id of the last item of the previous page. */
    listForService(serviceId: number, limit: number, before?: string): Build[] {
      const where = before
        ? and(eq(builds.serviceId, serviceId), lt(builds.id, before))
        : eq(builds.serviceId, serviceId);
      return db.select().from(builds).where(where).orderBy(desc(builds.id)).limit(limit).all();
    },
    inState(status: Build["status"]): Build[] {
      return db.select().from(builds).where(eq(builds.status, status)).all();
    },

    appendLog(line: Omit<BuildLogLine, "id">): BuildLogLine {
      return db.insert(buildLogs).values(line).returning().get();
    },
    logs(buildId: string, afterId = 0): BuildLogLine[] {
      return db
        .select()
        .from(buildLogs)
        .where(and(eq(buildLogs.buildId, buildId), gt(buildLogs.id, afterId)))
        .orderBy(asc(buildLogs.id))
        .all();
    },

    insertArtifact(tx: Db, a: Artifact): Artifact {
      return tx.insert(artifacts).values(a).returning().get();
    },
    artifact(id: string): Artifact | undefined {
      return db.select().from(artifacts).where(eq(artifacts.id, id)).get();
    },
    /** The bundles artifacts keep: a build's output stays deployable after its deployments go. */
    referencedBundles(): Set<string> {
      const rows = db.selectDistinct({ sha: artifacts.bundleSha256 }).from(artifacts).all();
      return new Set(rows.map((r) => r.sha));
    },
    artifacts(serviceId: number, limit = 50): Artifact[] {
      return db
        .select()
        .from(artifacts)
        .where(eq(artifacts.serviceId, serviceId))
        .orderBy(desc(artifacts.createdAt))
        .limit(limit)
        .all();
    },
    markArtifact(id: string, good: boolean): void {
      db.update(artifacts).set({ good }).where(eq(artifacts.id, id)).run();
    },

    /** Records a delivery; false when it was seen before (nothing else is done then). */
    recordDelivery(
      _tx: Db,
      d: { provider: "github" | "gitlab"; deliveryId: string; serviceId: number; outcome: string },
    ): boolean {
      return deliveryInsert.run({ ...d, receivedAt: Date.now() }).changes === 1;
    },
  };
}

export type BuildsRepo = ReturnType<typeof createBuildsRepo>;
