import { asc, eq, sql } from "drizzle-orm";
import type { ServiceKind } from "../../domain/deployment.ts";
import type { Environment, Service } from "../../domain/types.ts";
import type { Db } from "../client.ts";
import { environments, services } from "../schema/index.ts";

export function createServicesRepo(db: Db) {
  // the site-serving hot path looks services up on every request: prepare once
  const byName = db
    .select()
    .from(services)
    .where(eq(services.name, sql.placeholder("name")))
    .prepare();
  const byId = db
    .select()
    .from(services)
    .where(eq(services.id, sql.placeholder("id")))
    .prepare();
  return {
    list(): Service[] {
      return db.select().from(services).orderBy(asc(services.name)).all();
    },
    byName(name: string): Service | undefined {
      return byName.get({ name });
    },
    byId(id: number): Service | undefined {
      return byId.get({ id });
    },
    /** Inserts a service with its environments; the caller holds the transaction. */
    insert(
      tx: Db,
      input: { name: string; kind: ServiceKind; environments: string[]; retention: number },
    ): { service: Service; environments: Environment[] } {
      const service = tx
        .insert(services)
        .values({ name: input.name, kind: input.kind })
        .returning()
        .get();
      const envs = input.environments.map((name) =>
        tx
          .insert(environments)
          .values({ serviceId: service.id, name, retention: input.retention })
          .returning()
          .get(),
      );
      return { service, environments: envs };
    },
    delete(tx: Db, id: number): void {
      tx.delete(services).where(eq(services.id, id)).run();
    },
  };
}

export type ServicesRepo = ReturnType<typeof createServicesRepo>;
