import fs from "node:fs/promises";
import path from "node:path";
import { unprocessable } from "../../domain/errors.ts";
import { NOBODY } from "./argv.ts";
import { runsAsRoot } from "./detect.ts";

/**
 * Makes a fresh, empty work directory (mode 0700) under `root`, which must be Berth's
 * own directory that nobody else can write: it lives outside the data directory (often
 * in /tmp), where another user could otherwise have prepared it.
 */
export async function makeWorkDir(dir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await makeOnce(dir);
    } catch (err) {
      // removeWorkDir of another run took the empty root away meanwhile: make it again
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt === 3) throw err;
    }
  }
}

async function makeOnce(dir: string): Promise<void> {
  const root = path.dirname(dir);
  await fs.mkdir(root, { recursive: true, mode: 0o711 });
  const st = await fs.lstat(root);
  const uid = process.getuid?.() ?? st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw unprocessable(
      "work_dir_unsafe",
      `${root} must be a directory of Berth's own user that no one else can write (set BERTH_WORK_DIR elsewhere).`,
    );
  }
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { mode: 0o700 });
}

/**
 * Gives a work directory (a checkout done by Berth) to the sandbox's user. Only needed
 * when Berth runs as root, since bwrap then runs as nobody; an unprivileged Berth's
 * sandbox maps nobody onto its own user, who already owns the files.
 */
export async function handOver(dir: string): Promise<void> {
  if (!runsAsRoot()) return;
  const walk = async (p: string): Promise<void> => {
    await fs.lchown(p, NOBODY, NOBODY);
    const st = await fs.lstat(p);
    if (!st.isDirectory()) return;
    for (const name of await fs.readdir(p)) await walk(path.join(p, name));
  };
  await walk(dir);
}

/**
 * Removes a work directory, also one whose command left directories without write
 * permission (Go's module cache does), then its root if nothing else is in it.
 */
export async function removeWorkDir(dir: string): Promise<void> {
  try {
    await fs.rm(dir, { recursive: true, force: true });
  } catch {
    await makeWritable(dir);
    await fs.rm(dir, { recursive: true, force: true });
  }
  await fs.rmdir(path.dirname(dir)).catch(() => undefined); // not empty: other runs use it
}

async function makeWritable(p: string): Promise<void> {
  const st = await fs.lstat(p).catch(() => null);
  if (!st?.isDirectory()) return;
  await fs.chmod(p, 0o700);
  for (const name of await fs.readdir(p)) await makeWritable(path.join(p, name));
}
