import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Environment, EnvironmentEvent } from "../../domain/releases/types.ts";
import type { Db } from "../client.ts";
import { environmentEvents, environments } from "../schema/index.ts";

export type EnvironmentPatch = Partial<
  Pick<
    Environment,
    | "retention"
    | "spaFallback"
    | "healthPath"
    | "healthStatus"
    | "healthKeyword"
    | "healthTimeoutMs"
    | "healthRetries"
  >
>;

export function createEnvironmentsRepo(db: Db) {
  const byName = db
    .select()
    .from(environments)
    .where(
      and(
        eq(environments.serviceId, sql.placeholder("serviceId")),
        eq(environments.name, sql.placeholder("name")),
      ),
    )
    .prepare();
  const byId = db
    .select()
    .from(environments)
    .where(eq(environments.id, sql.placeholder("id")))
    .prepare();
  return {
    listForService(serviceId: number): Environment[] {
      return db
        .select()
        .from(environments)
        .where(eq(environments.serviceId, serviceId))
        .orderBy(asc(environments.id))
        .all();
    },
    listAll(): Environment[] {
      return db.select().from(environments).orderBy(asc(environments.id)).all();
    },
    byName(serviceId: number, name: string): Environment | undefined {
      return byName.get({ serviceId, name });
    },
    byId(id: number): Environment | undefined {
      return byId.get({ id });
    },
    insert(
      tx: Db,
      input: { serviceId: number; name: string; retention: number; spaFallback: boolean },
    ): Environment {
      return tx.insert(environments).values(input).returning().get();
    },
    update(tx: Db, id: number, patch: EnvironmentPatch): Environment {
      const row = tx
        .update(environments)
        .set(patch)
        .where(eq(environments.id, id))
        .returning()
        .get();
      if (!row) throw new Error(`environment ${id} vanished`);
      return row;
    },
    setLive(tx: Db, id: number, deploymentId: string | null): void {
      tx.update(environments)
        .set({ liveDeploymentId: deploymentId })
        .where(eq(environments.id, id))
        .run();
    },
    delete(tx: Db, id: number): void {
      tx.delete(environments).where(eq(environments.id, id)).run();
    },
    /** The highest vhost generation of any environment: generations are unique across Berth. */
    maxVhostGeneration(): number {
      const row = db
        .select({ max: sql<number | null>`max(${environments.vhostGeneration})` })
        .from(environments)
        .get();
      return row?.max ?? 0;
    },
    /** Records the generation of the vhost nginx now serves for this environment. */
    setVhostGeneration(tx: Db, id: number, generation: number): void {
      tx.update(environments)
        .set({ vhostGeneration: generation })
        .where(eq(environments.id, id))
        .run();
    },
    addEvent(
      tx: Db,
      event: { environmentId: number; action: string; deploymentId?: string; message: string },
    ): void {
      tx.insert(environmentEvents)
        .values({ ...event, at: Date.now() })
        .run();
    },
    events(environmentId: number, limit = 50): EnvironmentEvent[] {
      return db
        .select()
        .from(environmentEvents)
        .where(eq(environmentEvents.environmentId, environmentId))
        .orderBy(desc(environmentEvents.id))
        .limit(limit)
        .all();
    },
  };
}

export type EnvironmentsRepo = ReturnType<typeof createEnvironmentsRepo>;
