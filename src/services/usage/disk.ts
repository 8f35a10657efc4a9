import fs from "node:fs/promises";
import path from "node:path";

/** Bytes of the files under a directory (symlinks not followed). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await directoryBytes(p);
    else if (e.isFile()) total += (await fs.lstat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/**
 * Disk used by each environment's releases, measured in the background and cached for
 * `ttlMs`: the page never waits for a walk of the tree.
 */
export function createReleaseDisk(ttlMs = 10 * 60_000, clock: () => number = Date.now) {
  const cache = new Map<string, { bytes: number; at: number }>();
  const busy = new Set<string>();
  return {
    /** The last measure (null until the first one is done); starts a new one when stale. */
    of(dir: string): number | null {
      const hit = cache.get(dir);
      // a few walks at a time: the rest are measured on a later look
      if ((!hit || clock() - hit.at > ttlMs) && !busy.has(dir) && busy.size < 4) {
        busy.add(dir);
        void directoryBytes(dir)
          .then((bytes) => cache.set(dir, { bytes, at: clock() }))
          .finally(() => busy.delete(dir));
      }
      return hit?.bytes ?? null;
    },
    /** Measures now (tests, the first page). */
    async measure(dir: string): Promise<number> {
      const bytes = await directoryBytes(dir);
      cache.set(dir, { bytes, at: clock() });
      return bytes;
    },
  };
}
