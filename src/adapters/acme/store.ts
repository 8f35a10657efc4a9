import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

export type CertificateFiles = { fullchain: string; key: string };

async function writeSynced(file: string, data: string, mode: number): Promise<void> {
  const fh = await fs.open(file, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have narrowed it
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Stores a certificate and its key so that a reader (nginx -t, a reload) sees the old
 * pair or the new pair, never a key beside the wrong certificate: both files go into a
 * fresh 0700 folder `.<host>@<stamp>` (key 0600), then a symlink to it is renamed over
 * `<host>`, as a release switch does. The pair it replaced is kept until the next one.
 */
export async function storeCertificate(
  files: CertificateFiles,
  pem: { fullchain: string; key: string },
): Promise<void> {
  const link = path.dirname(files.fullchain);
  if (path.dirname(files.key) !== link) throw new Error("certificate and key must share a folder");
  const parent = path.dirname(link);
  const host = path.basename(link);
  await fs.mkdir(parent, { recursive: true, mode: 0o700 });
  const version = `.${host}@${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const dir = path.join(parent, version);
  await fs.mkdir(dir, { mode: 0o700 });
  try {
    await writeSynced(path.join(dir, path.basename(files.key)), pem.key, 0o600);
    await writeSynced(path.join(dir, path.basename(files.fullchain)), pem.fullchain, 0o644);
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }

  const previous = await fs.readlink(link).catch(() => null);
  const stat = await fs.lstat(link).catch(() => null);
  if (stat?.isDirectory()) {
    // a plain folder put there by hand: keep it as the "previous" pair
    await fs.rename(link, path.join(parent, `.${host}@manual`));
  }
  const tmp = path.join(parent, `.${host}@link-${randomBytes(4).toString("hex")}`);
  await fs.symlink(version, tmp);
  await fs.rename(tmp, link);

  const keep = new Set([version, previous ?? `.${host}@manual`]);
  for (const name of await fs.readdir(parent)) {
    if (name.startsWith(`.${host}@`) && !keep.has(name)) {
      await fs.rm(path.join(parent, name), { recursive: true, force: true });
    }
  }
}

/** Removes a hostname's stored certificate (its link and every kept pair). */
export async function removeCertificate(files: CertificateFiles): Promise<void> {
  const link = path.dirname(files.fullchain);
  const parent = path.dirname(link);
  const host = path.basename(link);
  await fs.rm(link, { recursive: true, force: true });
  for (const name of await fs.readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith(`.${host}@`)) {
      await fs.rm(path.join(parent, name), { recursive: true, force: true });
    }
  }
}
