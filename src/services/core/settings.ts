import { writeTx } from "../../db/client.ts";
import { Secret } from "../../domain/secret.ts";
import type { Needs } from "./deps.ts";

type SettingsDeps = Needs<"db" | "secrets" | "logger", "settings">;

/**
 * A settings section: one row holds its plain values as JSON (key `<section>`), and each
 * secret field has its own row (key `<section>.<path>`, secret flag set) holding only
 * AES-256-GCM ciphertext from deps.secrets. Secrets come back wrapped in Secret, so a
 * log line or a JSON answer that picks one up by mistake prints "[redacted]".
 */
export type SectionRead = {
  /** The parsed JSON, or undefined when never saved or unreadable. */
  values: unknown;
  secrets: Map<string, Secret>;
  updatedAt: number | null;
  /** Changes whenever any row of the section changes: a cache key. */
  version: string;
};

export function readSection(deps: SettingsDeps, section: string): SectionRead {
  const rows = deps.repos.settings.section(section);
  const secrets = new Map<string, Secret>();
  let values: unknown;
  for (const row of rows) {
    if (row.key === section && !row.secret) {
      try {
        values = JSON.parse(row.value);
      } catch {
        deps.logger.warn({ setting: row.key }, "a saved setting is not JSON: ignored");
      }
      continue;
    }
    if (!row.secret) continue;
    try {
      secrets.set(row.key.slice(section.length + 1), new Secret(deps.secrets.decrypt(row.value)));
    } catch {
      // never the value: only which setting could not be read
      deps.logger.warn(
        { setting: row.key },
        "cannot decrypt a saved secret (was BERTH_SECRET_KEY or data/secret.key changed?): enter it again",
      );
    }
  }
  const updatedAt = rows.length ? Math.max(...rows.map((r) => r.updatedAt)) : null;
  const version = rows.map((r) => `${r.key}@${r.updatedAt}:${r.value}`).join("\n");
  return { values, secrets, updatedAt, version };
}

/**
 * Saves a section in one transaction. For each secret path: a Secret is encrypted and
 * stored, null deletes the stored one, undefined keeps it as it is.
 */
export function writeSection(
  deps: SettingsDeps,
  section: string,
  values: unknown,
  secrets: Record<string, Secret | null | undefined>,
  now = Date.now(),
): void {
  const { settings } = deps.repos;
  writeTx(deps.db, (tx) => {
    settings.set(tx, { key: section, value: JSON.stringify(values), secret: false }, now);
    for (const [path, secret] of Object.entries(secrets)) {
      const key = `${section}.${path}`;
      if (secret === null) settings.delete(tx, key);
      else if (secret)
        settings.set(tx, { key, value: deps.secrets.encrypt(secret.reveal()), secret: true }, now);
    }
  });
}
