import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { jobs, jobTemplates, jobTemplateVersions } from "../schema/index.ts";

export type Template = typeof jobTemplates.$inferSelect;
export type TemplateVersion = typeof jobTemplateVersions.$inferSelect;
export type NewVersion = Omit<
  typeof jobTemplateVersions.$inferInsert,
  "id" | "templateId" | "version"
>;

/** Script templates and their versions: a version, once written, never changes. */
export function createTemplatesRepo(db: Db) {
  // read for every cron fire: prepared once
  const byIdQuery = db
    .select()
    .from(jobTemplates)
    .where(eq(jobTemplates.id, sql.placeholder("id")))
    .prepare();
  const versionQuery = db
    .select()
    .from(jobTemplateVersions)
    .where(
      and(
        eq(jobTemplateVersions.templateId, sql.placeholder("t")),
        eq(jobTemplateVersions.version, sql.placeholder("v")),
      ),
    )
    .prepare();
  return {
    list(): Template[] {
      return db.select().from(jobTemplates).orderBy(asc(jobTemplates.name)).all();
    },
    byName(name: string): Template | undefined {
      return db.select().from(jobTemplates).where(eq(jobTemplates.name, name)).get();
    },
    byId(id: number): Template | undefined {
      return byIdQuery.get({ id });
    },
    insert(tx: Db, name: string, description: string, first: NewVersion): Template {
      const t = tx.insert(jobTemplates).values({ name, description }).returning().get();
      tx.insert(jobTemplateVersions)
        .values({ ...first, templateId: t.id, version: 1 })
        .run();
      return t;
    },
    addVersion(tx: Db, t: Template, description: string, v: NewVersion): Template {
      const version = t.latestVersion + 1;
      tx.insert(jobTemplateVersions)
        .values({ ...v, templateId: t.id, version })
        .run();
      return tx
        .update(jobTemplates)
        .set({ latestVersion: version, description, updatedAt: Date.now() })
        .where(eq(jobTemplates.id, t.id))
        .returning()
        .get();
    },
    version(templateId: number, version: number): TemplateVersion | undefined {
      return versionQuery.get({ t: templateId, v: version });
    },
    versionById(id: number): TemplateVersion | undefined {
      return db.select().from(jobTemplateVersions).where(eq(jobTemplateVersions.id, id)).get();
    },
    versions(templateId: number): TemplateVersion[] {
      return db
        .select()
        .from(jobTemplateVersions)
        .where(eq(jobTemplateVersions.templateId, templateId))
        .orderBy(desc(jobTemplateVersions.version))
        .all();
    },
    usedBy(templateId: number): string[] {
      return db
        .select({ name: jobs.name })
        .from(jobs)
        .where(eq(jobs.templateId, templateId))
        .all()
        .map((r) => r.name);
    },
    delete(id: number): void {
      db.delete(jobTemplates).where(eq(jobTemplates.id, id)).run();
    },
  };
}

export type TemplatesRepo = ReturnType<typeof createTemplatesRepo>;
