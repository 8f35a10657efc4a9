import type { BundleFormat } from "../../domain/releases/deployment.ts";
import { ancestors, fail, quote } from "./paths.ts";
import type { ArchiveLimits, ArchiveSummary } from "./types.ts";

const MIB = 1024 * 1024;
const size = (bytes: number): string =>
  bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${bytes} bytes`;

/**
 * The running account of one pass over an archive: entry count, the paths seen
 * so far and the bytes they hold, checked against the limits as each entry
 * arrives so a hostile archive is stopped at the first entry that crosses a line.
 * Both formats go through it, for inspection and extraction alike.
 */
export class EntryLedger {
  readonly limits: ArchiveLimits;
  readonly archiveBytes: number;
  entries = 0;
  fileCount = 0;
  totalBytes = 0;
  /** Bytes actually inflated so far, whatever the headers declared. */
  producedBytes = 0;
  readonly #files = new Set<string>();
  readonly #explicitDirs = new Set<string>();
  // explicit directories plus every parent a file or directory implies
  readonly #dirs = new Set<string>();

  constructor(limits: ArchiveLimits, archiveBytes: number) {
    this.limits = limits;
    this.archiveBytes = archiveBytes;
  }

  countEntry(): void {
    this.entries += 1;
    this.checkEntryCount(this.entries);
  }

  checkEntryCount(count: number): void {
    if (count > this.limits.maxEntries) {
      throw fail(
        "too_many_entries",
        `The archive has more than ${this.limits.maxEntries} entries (the limit).`,
      );
    }
  }

  addDirectory(path: string, raw: string): void {
    if (path === "") return; // "./" is the staging directory itself
    if (this.#files.has(path) || this.#explicitDirs.has(path)) this.#duplicate(path, raw);
    this.#addParents(path, raw);
    this.#explicitDirs.add(path);
    this.#dirs.add(path);
  }

  addFile(path: string, raw: string, size: number): void {
    if (path === "") throw fail("unsafe_path", `Entry ${quote(raw)} has an empty file name.`);
    if (this.#files.has(path) || this.#dirs.has(path)) this.#duplicate(path, raw);
    this.#addParents(path, raw);
    this.#files.add(path);
    this.fileCount += 1;
    this.addBytes(size, raw);
  }

  /** Counts uncompressed bytes against the size and ratio limits. */
  addBytes(bytes: number, raw: string): void {
    this.totalBytes += bytes;
    this.checkBytes(this.totalBytes, `at entry ${quote(raw)}`);
  }

  /** Counts bytes as they come out of the decompressor, against the same limits. */
  addProduced(bytes: number, raw: string): void {
    this.producedBytes += bytes;
    this.checkBytes(this.producedBytes, `while inflating ${quote(raw)}`);
  }

  checkBytes(bytes: number, where: string): void {
    const { maxUncompressedBytes, maxCompressionRatio } = this.limits;
    if (bytes > maxUncompressedBytes) {
      throw fail(
        "too_large_uncompressed",
        `The archive unpacks to more than ${size(maxUncompressedBytes)} (the limit), ${where}.`,
      );
    }
    if (bytes > maxCompressionRatio * Math.max(this.archiveBytes, 1)) {
      throw fail(
        "compression_ratio_exceeded",
        `The archive unpacks to more than ${maxCompressionRatio}x its ${this.archiveBytes}-byte size, ${where}; refusing a likely zip bomb.`,
      );
    }
  }

  requireFiles(): void {
    if (this.fileCount === 0) throw fail("empty_archive", "The archive contains no files.");
  }

  summary(format: BundleFormat): ArchiveSummary {
    return { format, fileCount: this.fileCount, totalBytes: this.totalBytes };
  }

  #addParents(path: string, raw: string): void {
    for (const parent of ancestors(path)) {
      // a known directory's own ancestors were checked when it was added
      if (this.#dirs.has(parent)) return;
      if (this.#files.has(parent)) {
        throw fail(
          "duplicate_entry",
          `Entry ${quote(raw)} needs "${parent}" to be a directory, but the archive also has a file there.`,
        );
      }
      this.#dirs.add(parent);
    }
  }

  #duplicate(path: string, raw: string): never {
    throw fail("duplicate_entry", `Entry ${quote(raw)} repeats the path "${path}".`);
  }
}
