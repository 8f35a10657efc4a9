import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { DomainError } from "../../domain/errors.ts";
import type { Runner } from "./run.ts";

/** A vhost file to write (content) or take away (null), by its name in sites-available. */
export type FileChange = { name: string; content: string | null };

export type ApplyOptions = {
  sitesAvailable: string;
  sitesEnabled: string;
  changes: FileChange[];
  testArgv: string[];
  reloadArgv: string[];
  run: Runner;
  /** Server names the change is about: an nginx -t "conflicting server name" for one fails it. */
  serverNames: string[];
  /** Confirms the reloaded nginx serves the new files; throws when it does not. */
  verify: () => Promise<void>;
};

/** nginx refused a configuration, or did not switch to it: nothing Berth wrote stays. */
export class EdgeError extends DomainError {
  constructor(message: string) {
    super("conflict", "edge_failed", message);
  }
}

/** What one name looked like before: the file's bytes and the link (or file) in sites-enabled. */
type Snapshot = {
  name: string;
  available: Buffer | null;
  enabled: { kind: "link"; target: string } | { kind: "file"; bytes: Buffer } | null;
};

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

async function readOrNull(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if (missing(err)) return null;
    throw err;
  }
}

async function snapshot(opts: ApplyOptions, name: string): Promise<Snapshot> {
  const available = await readOrNull(path.join(opts.sitesAvailable, name));
  const link = path.join(opts.sitesEnabled, name);
  let enabled: Snapshot["enabled"] = null;
  try {
    const stat = await fs.lstat(link);
    enabled = stat.isSymbolicLink()
      ? { kind: "link", target: await fs.readlink(link) }
      : { kind: "file", bytes: await fs.readFile(link) };
  } catch (err) {
    if (!missing(err)) throw err;
  }
  return { name, available, enabled };
}

const tmpName = (dir: string, name: string) =>
  path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);

/** Replaces `file` atomically: a reader (nginx -t, a reload) sees old or new bytes, never half. */
async function writeAtomic(file: string, bytes: string | Buffer): Promise<void> {
  const tmp = tmpName(path.dirname(file), path.basename(file));
  try {
    await fs.writeFile(tmp, bytes, { mode: 0o644 });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

async function linkAtomic(link: string, target: string): Promise<void> {
  const tmp = tmpName(path.dirname(link), path.basename(link));
  await fs.symlink(target, tmp);
  try {
    await fs.rename(tmp, link);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

async function put(opts: ApplyOptions, change: FileChange): Promise<void> {
  const file = path.join(opts.sitesAvailable, change.name);
  const link = path.join(opts.sitesEnabled, change.name);
  if (change.content === null) {
    await fs.rm(link, { force: true });
    await fs.rm(file, { force: true });
    return;
  }
  await writeAtomic(file, change.content);
  await linkAtomic(link, file);
}

/** Puts back exactly what was there: the same bytes, the same link target, or nothing. */
async function restore(opts: ApplyOptions, before: Snapshot): Promise<void> {
  const file = path.join(opts.sitesAvailable, before.name);
  const link = path.join(opts.sitesEnabled, before.name);
  if (before.available === null) await fs.rm(file, { force: true });
  else await writeAtomic(file, before.available);
  if (before.enabled === null) await fs.rm(link, { force: true });
  else if (before.enabled.kind === "link") await linkAtomic(link, before.enabled.target);
  else await writeAtomic(link, before.enabled.bytes);
}

function unchanged(opts: ApplyOptions, before: Snapshot, change: FileChange): boolean {
  if (change.content === null) return before.available === null && before.enabled === null;
  const file = path.join(opts.sitesAvailable, change.name);
  return (
    before.available?.equals(Buffer.from(change.content)) === true &&
    before.enabled?.kind === "link" &&
    path.resolve(opts.sitesEnabled, before.enabled.target) === file
  );
}

/** The first lines of nginx's complaint, without its "syntax is ok" chatter. */
export function nginxComplaint(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/syntax is ok|test is successful|test failed/.test(l));
  const text = lines.slice(0, 5).join(" ");
  return text.length > 600 ? `${text.slice(0, 597)}...` : text || "no message";
}

/** `conflicting server name "x"` warnings of `nginx -t` that name one of `names`. */
export function conflictsIn(stderr: string, names: string[]): string[] {
  const wanted = new Set(names);
  const out: string[] = [];
  for (const m of stderr.matchAll(/conflicting server name "([^"]*)"/g)) {
    const name = m[1] ?? "";
    if (wanted.has(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * Writes vhost files (temp file + rename, symlinked into sites-enabled), runs `nginx -t`,
 * reloads and verifies. On any failure every file and link is put back byte-identical,
 * nginx is reloaded back if it had been reloaded, and an EdgeError carries nginx's words.
 * Returns how many files changed: 0 means nothing did (no test, no reload).
 */
export async function applyFiles(opts: ApplyOptions): Promise<number> {
  const before = await Promise.all(opts.changes.map((c) => snapshot(opts, c.name)));
  const changes = opts.changes.filter((c, i) => !unchanged(opts, before[i] as Snapshot, c));
  if (changes.length === 0) return 0;
  let reloaded = false;
  const rollback = async (reason: string): Promise<never> => {
    for (const b of before) await restore(opts, b);
    if (reloaded) {
      // back to the previous configuration; it passed nginx -t before, so this should too
      const check = await opts.run(opts.testArgv);
      if (check.code === 0) await opts.run(opts.reloadArgv);
    }
    throw new EdgeError(reason);
  };

  try {
    for (const change of changes) await put(opts, change);
  } catch (err) {
    return rollback(`Could not write the nginx configuration: ${(err as Error).message}`);
  }
  const test = await opts.run(opts.testArgv).catch((err: Error) => ({
    code: -1,
    stdout: "",
    stderr: err.message,
  }));
  if (test.code !== 0) {
    return rollback(`nginx rejected the configuration: ${nginxComplaint(test.stderr)}`);
  }
  const conflicts = conflictsIn(test.stderr, opts.serverNames);
  if (conflicts.length > 0) {
    return rollback(
      `Another nginx site already answers to ${conflicts.join(", ")}: ${nginxComplaint(test.stderr)}`,
    );
  }
  const reload = await opts.run(opts.reloadArgv).catch((err: Error) => ({
    code: -1,
    stdout: "",
    stderr: err.message,
  }));
  reloaded = true;
  if (reload.code !== 0) {
    return rollback(`nginx could not reload: ${nginxComplaint(reload.stderr)}`);
  }
  try {
    await opts.verify();
  } catch (err) {
    return rollback((err as Error).message);
  }
  return changes.length;
}
