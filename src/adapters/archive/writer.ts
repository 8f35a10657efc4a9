import { chmod, lstat, mkdir, open, rm, rmdir, unlink } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";

// Enough to keep the libuv pool busy without holding many inflated files at once.
const MAX_IN_FLIGHT = 16;
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const MAX_WRITE_BYTES = 1024 * 1024 * 1024;

/** The staging directory itself is unusable (a symlink or file in the way): never the archive's fault. */
export class StagingError extends Error {}

/**
 * Writes validated entries under one staging directory. Paths given to it are
 * already normalised (no "..", no absolute, no backslash); it still refuses to
 * leave the root and never follows a symlink: files are created with O_EXCL
 * ("wx"), which fails on any existing name, symlinks included, and a
 * pre-existing directory is accepted only if lstat says it is a real directory.
 * It remembers what it created, so a refused bundle can be taken back out
 * (`discard`) without touching anything that was there before.
 */
export class StagingWriter {
  readonly #root: string;
  readonly #dirs = new Map<string, Promise<void>>();
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { error: unknown } | null = null;
  // Whether the process umask narrows the modes given to open()/mkdir(): probed
  // on the first file and directory (null until then) so that a strict umask
  // cannot leave the bundle unreadable to the web server, without paying a
  // chmod per file when it does not.
  #fileModeNarrowed: boolean | null = null;
  #dirModeNarrowed: boolean | null = null;
  // the first directory of the root's chain that open() created, if any
  readonly #createdRoot: string | undefined;
  readonly #createdFiles: string[] = [];
  readonly #createdDirs: string[] = [];

  private constructor(root: string, createdRoot: string | undefined) {
    this.#root = root;
    this.#createdRoot = createdRoot;
    this.#dirs.set("", Promise.resolve());
  }

  static async open(stagingDir: string): Promise<StagingWriter> {
    const root = resolve(stagingDir);
    const created = await mkdir(root, { recursive: true, mode: DIR_MODE });
    // the release's own directory too: a strict umask (the unit's 0027) must not leave it
    // closed to the web server, which reads it through other permission bits
    await chmod(root, DIR_MODE);
    return new StagingWriter(root, created);
  }

  /** Creates a directory (and its parents) once, however many entries share it. */
  ensureDir(rel: string): Promise<void> {
    const known = this.#dirs.get(rel);
    if (known) return known;
    const made = this.ensureDir(parentOf(rel)).then(() => this.#mkdirOne(this.#target(rel)));
    this.#dirs.set(rel, made);
    return made;
  }

  /** Queues a whole-buffer write; waits only when too many are already in flight. */
  async writeFile(rel: string, data: Uint8Array): Promise<void> {
    this.#rethrow();
    while (this.#inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.#inFlight);
    this.#rethrow();
    const task: Promise<void> = this.#write(rel, [data])
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  /** Writes a file from a stream of chunks, for bodies too big to hold in memory. */
  async writeStream(rel: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    this.#rethrow();
    await this.#write(rel, chunks);
  }

  /** Waits for every queued write and reports the first failure. */
  async finish(): Promise<void> {
    await this.settle();
    this.#rethrow();
  }

  /** Waits for queued writes without reporting, so a caller can clean up after an error. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    await Promise.allSettled(this.#dirs.values());
  }

  /**
   * Waits for queued writes, then removes every file and directory this writer
   * created (the root too, if it made it), leaving what was there before.
   */
  async discard(): Promise<void> {
    await this.settle();
    if (this.#createdRoot !== undefined) {
      await rm(this.#createdRoot, { recursive: true, force: true });
      return;
    }
    for (const file of this.#createdFiles) await unlink(file).catch(() => undefined);
    // deepest first, so each directory is empty when its turn comes
    const dirs = [...this.#createdDirs].sort((a, b) => b.length - a.length);
    for (const dir of dirs) await rmdir(dir).catch(() => undefined);
  }

  async #write(rel: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>) {
    await this.ensureDir(parentOf(rel));
    const target = this.#target(rel);
    const handle = await open(target, "wx", FILE_MODE);
    this.#createdFiles.push(target);
    try {
      for await (const chunk of chunks) {
        // write() may stop short (and refuses over 2 GiB at once), so loop
        for (let done = 0; done < chunk.length; ) {
          const length = Math.min(chunk.length - done, MAX_WRITE_BYTES);
          done += (await handle.write(chunk, done, length)).bytesWritten;
        }
      }
      if (this.#fileModeNarrowed !== false) {
        this.#fileModeNarrowed = ((await handle.stat()).mode & 0o777) !== FILE_MODE;
        if (this.#fileModeNarrowed) await handle.chmod(FILE_MODE);
      }
    } finally {
      await handle.close();
    }
  }

  async #mkdirOne(abs: string): Promise<void> {
    try {
      await mkdir(abs, { mode: DIR_MODE });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const stat = await lstat(abs);
      if (!stat.isDirectory())
        throw new StagingError(`Refusing to extract into ${abs}: not a directory`);
      return;
    }
    this.#createdDirs.push(abs);
    if (this.#dirModeNarrowed !== false) {
      this.#dirModeNarrowed = ((await lstat(abs)).mode & 0o777) !== DIR_MODE;
      if (this.#dirModeNarrowed) await chmod(abs, DIR_MODE);
    }
  }

  #target(rel: string): string {
    const abs = join(this.#root, rel);
    const prefix = this.#root.endsWith(sep) ? this.#root : this.#root + sep;
    if (!abs.startsWith(prefix)) throw new StagingError(`Refusing to write outside ${this.#root}`);
    return abs;
  }

  #rethrow(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

const parentOf = (rel: string): string => {
  const parent = dirname(rel);
  return parent === "." ? "" : parent;
};
