import { and, desc, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type {
  Incident,
  IncidentRow,
  MaintenanceWindow,
} from "../../domain/monitoring/monitoring.ts";
import type { Db } from "../client.ts";
import { builds, deployments, incidents, maintenanceWindows, monitors } from "../schema/index.ts";

export type { IncidentRow };

export function createIncidentsRepo(db: Db) {
  return {
    open(tx: Db, i: Incident): void {
      tx.insert(incidents).values(i).run();
    },
    close(tx: Db, id: string, endedAt: number): void {
      tx.update(incidents).set({ endedAt }).where(eq(incidents.id, id)).run();
    },
    /** The open incident of each monitor that has one (restored at start-up). */
    openOnes(): Incident[] {
      return db.select().from(incidents).where(isNull(incidents.endedAt)).all();
    },
    list(opts: { monitorIds?: number[]; limit: number }): IncidentRow[] {
      return db
        .select({ i: incidents, monitorName: monitors.name })
        .from(incidents)
        .innerJoin(monitors, eq(monitors.id, incidents.monitorId))
        .where(opts.monitorIds ? inArray(incidents.monitorId, opts.monitorIds) : undefined)
        .orderBy(desc(incidents.startedAt))
        .limit(opts.limit)
        .all()
        .map((r) => ({ ...r.i, monitorName: r.monitorName }));
    },
    /** The last deployment of an environment to go live at or before `at`. */
    lastLive(environmentId: number, at: number): { id: string; activatedAt: number } | null {
      const row = db
        .select({ id: deployments.id, activatedAt: deployments.activatedAt })
        .from(deployments)
        .where(and(eq(deployments.environmentId, environmentId), lte(deployments.activatedAt, at)))
        .orderBy(desc(deployments.activatedAt))
        .get();
      return row?.activatedAt ? { id: row.id, activatedAt: row.activatedAt } : null;
    },
    /** The last build of a service started at or before `at`. */
    lastBuild(serviceId: number, at: number): { id: string; at: number; status: string } | null {
      const row = db
        .select({
          id: builds.id,
          at: sql<number>`coalesce(${builds.startedAt}, ${builds.createdAt})`,
          status: builds.status,
        })
        .from(builds)
        .where(and(eq(builds.serviceId, serviceId), lte(builds.createdAt, at)))
        .orderBy(desc(builds.createdAt))
        .get();
      return row ?? null;
    },
    windows(): MaintenanceWindow[] {
      return db.select().from(maintenanceWindows).all();
    },
    addWindow(tx: Db, w: Omit<MaintenanceWindow, "id">): MaintenanceWindow {
      return tx.insert(maintenanceWindows).values(w).returning().get();
    },
    deleteWindow(tx: Db, id: number): boolean {
      return tx.delete(maintenanceWindows).where(eq(maintenanceWindows.id, id)).run().changes > 0;
    },
  };
}

export type IncidentsRepo = ReturnType<typeof createIncidentsRepo>;
