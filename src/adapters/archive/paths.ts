import { DomainError, unprocessable } from "../../domain/errors.ts";
import type { ArchiveErrorCode } from "./types.ts";

// Common filesystem limits (NAME_MAX, PATH_MAX): rejecting here keeps a write
// from failing halfway through an extraction.
const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 4096;

export const fail = (code: ArchiveErrorCode, message: string): DomainError =>
  unprocessable(code, message);

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError;

/** Entry names are attacker-chosen; JSON quoting keeps NULs and control bytes visible. */
export const quote = (raw: string): string => JSON.stringify(raw);

export type EntryPath = {
  /** Relative, "/"-separated, no "." or ".." or empty segments; "" is the archive root. */
  path: string;
  /** The raw name ended in "/", which both formats use to mark a directory. */
  directorySyntax: boolean;
};

/**
 * Turns a raw entry name into a path that can only land inside the staging
 * directory, or throws unsafe_path. Rejects rather than rewrites anything
 * ambiguous: a bundle that needs "../" or "C:" is not one we should guess at.
 */
export function normalizeEntryPath(raw: string): EntryPath {
  const name = quote(raw);
  if (raw.includes("\0")) throw fail("unsafe_path", `Entry ${name} has a NUL byte in its name.`);
  if (raw.includes("\\")) {
    throw fail("unsafe_path", `Entry ${name} uses a backslash; only "/" separators are allowed.`);
  }
  if (raw.startsWith("/")) throw fail("unsafe_path", `Entry ${name} has an absolute path.`);
  if (/^[A-Za-z]:/.test(raw))
    throw fail("unsafe_path", `Entry ${name} starts with a drive letter.`);

  const segments: string[] = [];
  for (const segment of raw.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      throw fail("unsafe_path", `Entry ${name} has a ".." segment that would escape the bundle.`);
    }
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw fail(
        "unsafe_path",
        `Entry ${name} has a name segment over ${MAX_SEGMENT_BYTES} bytes.`,
      );
    }
    segments.push(segment);
  }
  const path = segments.join("/");
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    throw fail("unsafe_path", `Entry ${name} has a path over ${MAX_PATH_BYTES} bytes.`);
  }
  return { path, directorySyntax: raw.endsWith("/") };
}

/** Every proper ancestor of a normalised path, nearest first: "a/b/c" gives "a/b", "a". */
export function* ancestors(path: string): Generator<string> {
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
    yield path.slice(0, i);
  }
}
