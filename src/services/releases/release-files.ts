import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * Points `current` at a release atomically: a temp symlink renamed over it, so a reader
 * sees the old release or the new one, never neither. The target is relative, so the
 * data directory can move.
 */
export async function pointCurrent(currentLink: string, releaseDir: string): Promise<void> {
  const tmp = `${currentLink}.${randomBytes(6).toString("hex")}.tmp`;
  const target = path.relative(path.dirname(currentLink), releaseDir);
  await fs.symlink(target, tmp);
  try {
    await fs.rename(tmp, currentLink);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** The release id `current` points at, or null when there is none. */
export async function readCurrent(currentLink: string): Promise<string | null> {
  try {
    return path.basename(await fs.readlink(currentLink));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export async function removeTree(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
