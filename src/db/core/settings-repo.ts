import { eq, like } from "drizzle-orm";
import type { Db } from "../client.ts";
import { settings } from "../schema/index.ts";

export type SettingRow = { key: string; value: string; secret: boolean; updatedAt: number };

/** Key-value settings. A secret row's value is ciphertext: this repo never sees plain text. */
export function createSettingsRepo(db: Db) {
  return {
    get(key: string): SettingRow | undefined {
      return db.select().from(settings).where(eq(settings.key, key)).get();
    },
    /** Every row whose key is `prefix` or starts with `prefix.`. */
    section(prefix: string): SettingRow[] {
      return db
        .select()
        .from(settings)
        .where(like(settings.key, `${prefix}%`))
        .all()
        .filter((r) => r.key === prefix || r.key.startsWith(`${prefix}.`));
    },
    set(tx: Db, row: Omit<SettingRow, "updatedAt">, now = Date.now()): void {
      tx.insert(settings)
        .values({ ...row, updatedAt: now })
        .onConflictDoUpdate({
          target: settings.key,
          set: { value: row.value, secret: row.secret, updatedAt: now },
        })
        .run();
    },
    delete(tx: Db, key: string): void {
      tx.delete(settings).where(eq(settings.key, key)).run();
    },
  };
}

export type SettingsRepo = ReturnType<typeof createSettingsRepo>;
