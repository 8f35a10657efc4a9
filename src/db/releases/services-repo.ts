import { and, asc, eq, gt, inArray, like, sql } from "drizzle-orm";
import type { ServiceKind } from "../../domain/releases/deployment.ts";
import type { Environment, Service } from "../../domain/releases/types.ts";
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
    /**
     * One page by name: after a name (the previous page's last), optionally only names
     * containing `q`, optionally only the given names (a principal limited to some).
     */
    page(opts: {
      after?: string;
      limit: number;
      q?: string;
      only?: readonly string[] | null;
    }): Service[] {
      const q = opts.q?.toLowerCase().replace(/[^a-z0-9-]/g, "");
      return db
        .select()
        .from(services)
        .where(
          and(
            opts.after ? gt(services.name, opts.after) : undefined,
            q ? like(services.name, `%${q}%`) : undefined,
            opts.only ? inArray(services.name, [...opts.only]) : undefined,
          ),
        )
        .orderBy(asc(services.name))
        .limit(opts.limit)
        .all();
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
