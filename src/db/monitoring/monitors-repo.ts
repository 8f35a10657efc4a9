import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Monitor, MonitorRow, MonitorStatus } from "../../domain/monitoring/monitoring.ts";
import type { Db } from "../client.ts";
import { environmentMonitoring, environments, monitors, services } from "../schema/index.ts";

export type NewMonitor = typeof monitors.$inferInsert;
export type { MonitorRow };
export type MonitorPatch = Partial<Omit<NewMonitor, "id" | "createdAt">>;

export type EnvMonitoring = {
  autoMonitor: boolean;
  badgesPublic: boolean;
  badgeToken: string | null;
};

export function createMonitorsRepo(db: Db) {
  const withNames = () =>
    db
      .select({ m: monitors, service: services.name, environment: environments.name })
      .from(monitors)
      .leftJoin(environments, eq(environments.id, monitors.environmentId))
      .leftJoin(services, eq(services.id, monitors.serviceId));
  const flat = (r: { m: Monitor; service: string | null; environment: string | null }) => ({
    ...r.m,
    service: r.service,
    environment: r.environment,
  });
  return {
    list(): MonitorRow[] {
      return withNames().orderBy(asc(monitors.id)).all().map(flat);
    },
    byId(id: number): MonitorRow | undefined {
      const r = withNames().where(eq(monitors.id, id)).get();
      return r && flat(r);
    },
    byPushToken(hash: string): Monitor | undefined {
      return db.select().from(monitors).where(eq(monitors.pushTokenHash, hash)).get();
    },
    forEnvironment(environmentId: number): MonitorRow[] {
      return withNames().where(eq(monitors.environmentId, environmentId)).all().map(flat);
    },
    forService(serviceId: number): Monitor[] {
      return db.select().from(monitors).where(eq(monitors.serviceId, serviceId)).all();
    },
    insert(tx: Db, m: NewMonitor): Monitor {
      return tx.insert(monitors).values(m).returning().get();
    },
    update(tx: Db, id: number, patch: MonitorPatch): Monitor | undefined {
      return tx.update(monitors).set(patch).where(eq(monitors.id, id)).returning().get();
    },
    setStatuses(tx: Db, statuses: Map<number, MonitorStatus>): void {
      const stmt = tx
        .update(monitors)
        .set({ status: sql.placeholder("status") as unknown as MonitorStatus })
        .where(eq(monitors.id, sql.placeholder("id")))
        .prepare();
      for (const [id, status] of statuses) stmt.run({ id, status });
    },
    delete(tx: Db, id: number): void {
      tx.delete(monitors).where(eq(monitors.id, id)).run();
    },
    deleteMany(tx: Db, ids: number[]): void {
      if (ids.length) tx.delete(monitors).where(inArray(monitors.id, ids)).run();
    },
    /** Automatic monitors whose environment no longer exists. */
    orphans(): number[] {
      return db
        .select({ id: monitors.id })
        .from(monitors)
        .leftJoin(environments, eq(environments.id, monitors.environmentId))
        .where(and(sql`${monitors.environmentId} is not null`, isNull(environments.id)))
        .all()
        .map((r) => r.id);
    },
    /** Live environments, with their service and whether they want an automatic monitor. */
    liveEnvironments(): {
      environmentId: number;
      serviceId: number;
      service: string;
      environment: string;
      auto: boolean;
    }[] {
      return db
        .select({
          environmentId: environments.id,
          serviceId: services.id,
          service: services.name,
          environment: environments.name,
          auto: sql<number | null>`${environmentMonitoring.autoMonitor}`,
        })
        .from(environments)
        .innerJoin(services, eq(services.id, environments.serviceId))
        .leftJoin(environmentMonitoring, eq(environmentMonitoring.environmentId, environments.id))
        .where(sql`${environments.liveDeploymentId} is not null`)
        .all()
        .map((r) => ({ ...r, auto: r.auto === null ? true : Boolean(r.auto) }));
    },
    envSettings(environmentId: number): EnvMonitoring {
      const row = db
        .select()
        .from(environmentMonitoring)
        .where(eq(environmentMonitoring.environmentId, environmentId))
        .get();
      return row ?? { autoMonitor: true, badgesPublic: false, badgeToken: null };
    },
    saveEnvSettings(tx: Db, environmentId: number, s: EnvMonitoring): void {
      tx.insert(environmentMonitoring)
        .values({ environmentId, ...s })
        .onConflictDoUpdate({ target: environmentMonitoring.environmentId, set: s })
        .run();
    },
  };
}

export type MonitorsRepo = ReturnType<typeof createMonitorsRepo>;
