import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { crypto as acmeCrypto } from "acme-client";

/**
 * The ACME account key: made once, kept 0600 beside the certificates. Written to a temp
 * file and hard-linked into place, so two callers racing to create it agree on one key.
 */
export async function loadAccountKey(file: string): Promise<Buffer> {
  const existing = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (existing) return existing;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = await acmeCrypto.createPrivateEcdsaKey("P-256");
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await fs.writeFile(tmp, key, { mode: 0o600, flag: "wx" });
  try {
    await fs.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return fs.readFile(file);
}
