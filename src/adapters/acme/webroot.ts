import fs from "node:fs/promises";
import path from "node:path";

// RFC 8555 §8.1: a token is base64url; anything else must never become a file name
const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

/** The folder nginx serves at /.well-known/acme-challenge/ for every Berth host. */
export function challengeDir(webroot: string): string {
  return path.join(webroot, ".well-known", "acme-challenge");
}

function challengeFile(webroot: string, token: string): string {
  if (!TOKEN.test(token)) throw new Error("The ACME server sent a malformed challenge token.");
  return path.join(challengeDir(webroot), token);
}

/**
 * Publishes an HTTP-01 key authorization where nginx serves it. Folders 0755 and the file
 * 0644: nginx's workers run as another user, and the content is public by design.
 */
export async function writeChallenge(webroot: string, token: string, keyAuth: string) {
  const file = challengeFile(webroot, token);
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  for (const d of [webroot, path.dirname(dir), dir]) await fs.chmod(d, 0o755);
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, keyAuth, { mode: 0o644 });
  await fs.chmod(tmp, 0o644); // the umask may have narrowed it
  await fs.rename(tmp, file);
}

export async function removeChallenge(webroot: string, token: string): Promise<void> {
  await fs.rm(challengeFile(webroot, token), { force: true });
}
