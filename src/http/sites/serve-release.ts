/**
 * Serve one static release directory: the live release of an environment
 * (reached through a `current` symlink that deploys and rollbacks swap
 * atomically) or a deployment's immutable preview.
 */

import { constants, createReadStream, type Stats } from "node:fs";
import { realpath } from "node:fs/promises";
import { Readable } from "node:stream";
import { brandedNotFound } from "./branded.ts";
import {
  acceptsHtml,
  ifRangeHolds,
  makeEtag,
  noneMatchHits,
  notModifiedSince,
  parseRange,
} from "./conditional.ts";
import { contentTypeFor, isFingerprinted, isHtmlType } from "./content-types.ts";
import { closeFd, fstatFd, openFd, readAt } from "./fd.ts";
import {
  decodeRequestPath,
  directoryLocation,
  hasExtension,
  lastSegment,
  splitUrl,
} from "./safe-path.ts";

export type ServeOptions = { spaFallback: boolean };

/** Files up to this size are read into memory in one go; larger ones are streamed. */
const SMALL_FILE_MAX = 64 * 1024;

/**
 * O_NOFOLLOW: the target was realpathed, so a symlink here means a race.
 * O_NONBLOCK: opening a FIFO must not hang a thread-pool thread (no effect on regular files).
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Errors that mean "nothing servable here"; anything else is a real I/O failure. */
const MISSING = new Set(["ENOENT", "ENOTDIR", "ELOOP", "EACCES", "ENAMETOOLONG", "ENXIO"]);

const EMPTY = new Uint8Array(0);

const NO_CACHE = "no-cache";
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "public, max-age=0, must-revalidate";

type HeaderMap = Record<string, string>;

/** An open regular file: its descriptor, real path, stats and the requested name. */
type OpenFile = { kind: "file"; fd: number; real: string; stat: Stats; name: string };
type Lookup = OpenFile | { kind: "directory" } | null;

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && MISSING.has(code);
}

/**
 * Serve `request` out of the release directory `root` (an absolute path,
 * possibly a symlink such as `.../current`). Bad input gets a 4xx response;
 * only unexpected I/O errors reject.
 */
export async function serveRelease(
  root: string,
  request: Request,
  options: ServeOptions,
): Promise<Response> {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD") {
    return plain(405, "Method Not Allowed", false, { allow: "GET, HEAD" });
  }
  const head = method === "HEAD";
  const { pathname, search } = splitUrl(request.url);
  const path = decodeRequestPath(pathname);
  if (path === null) return plain(400, "Bad Request", head);

  // Resolve the release once: everything below stays inside this snapshot even
  // if `current` is swapped mid-request.
  let base: string;
  try {
    base = await realpath(root);
  } catch (error) {
    if (isMissing(error)) return plain(404, "Not Found", head);
    throw error;
  }

  const directoryPath = path.endsWith("/");
  let found = await lookup(base, directoryPath ? `${path}index.html` : path);
  if (found === null && !directoryPath && !path.endsWith(".html")) {
    const clean = await lookup(base, `${path}.html`); // clean URLs: /about → /about.html
    if (clean?.kind === "file") found = clean;
  }
  if (found?.kind === "directory") {
    return new Response(null, {
      status: 301,
      headers: {
        location: directoryLocation(pathname, search),
        "cache-control": NO_CACHE,
        "x-content-type-options": "nosniff",
      },
    });
  }
  if (found !== null) return sendFile(found, request, head, 200, true);

  if (options.spaFallback && !hasExtension(path) && acceptsHtml(request.headers.get("accept"))) {
    const index = await lookup(base, "/index.html");
    if (index?.kind === "file") return sendFile(index, request, head, 200, false);
  }
  const page = await lookup(base, "/404.html");
  if (page?.kind === "file") return sendFile(page, request, head, 404, false);
  return (
    brandedNotFound(
      request,
      "Page not found",
      "There is nothing at this address. Add a 404.html to the site to show your own page.",
      head,
    ) ?? plain(404, "Not Found", head)
  );
}

/** Whether the real path `real` is `base` itself or below it. */
function isInside(base: string, real: string): boolean {
  if (!real.startsWith(base)) return false;
  return real.length === base.length || base.endsWith("/") || real.charCodeAt(base.length) === 47;
}

/**
 * Open `path` (decoded, starting with "/") below the real release directory
 * `base`, refusing anything whose real location is outside it. Returns an open
 * regular file, a directory marker, or null for missing / unservable entries.
 */
async function lookup(base: string, path: string): Promise<Lookup> {
  let real: string;
  let fd: number;
  try {
    real = await realpath(base + path);
    if (!isInside(base, real)) return null; // a symlink pointing outside the release
    fd = await openFd(real, OPEN_FLAGS);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  let keep = false;
  try {
    const stat = await fstatFd(fd);
    if (stat.isFile()) {
      keep = true;
      return { kind: "file", fd, real, stat, name: lastSegment(path) };
    }
    return stat.isDirectory() ? { kind: "directory" } : null;
  } finally {
    if (!keep) await closeFd(fd);
  }
}

/**
 * Respond with an open file, taking ownership of its descriptor. `full` enables
 * conditional requests, ranges and fingerprint caching (the real file at the
 * requested URL); SPA fallbacks and 404 pages get plain no-cache responses.
 */
async function sendFile(
  file: OpenFile,
  request: Request,
  head: boolean,
  status: number,
  full: boolean,
): Promise<Response> {
  const { fd, stat } = file;
  let owned = true;
  try {
    const size = stat.size;
    const type = contentTypeFor(file.name);
    const etag = makeEtag(size, stat.mtimeMs);
    const cacheControl =
      !full || isHtmlType(type) ? NO_CACHE : isFingerprinted(file.name) ? IMMUTABLE : REVALIDATE;

    if (status === 200) {
      const reqHeaders = request.headers;
      const noneMatch = reqHeaders.get("if-none-match");
      const notModified =
        noneMatch !== null
          ? noneMatchHits(noneMatch, etag)
          : notModifiedSinceHeader(reqHeaders.get("if-modified-since"), stat.mtimeMs);
      if (notModified) {
        return new Response(null, {
          status: 304,
          headers: { etag, "cache-control": cacheControl, "x-content-type-options": "nosniff" },
        });
      }
    }

    const lastModified = new Date(stat.mtimeMs).toUTCString();
    const headers: HeaderMap = {
      "content-type": type,
      "content-length": String(size),
      etag,
      "last-modified": lastModified,
      "cache-control": cacheControl,
      "accept-ranges": "bytes",
      "x-content-type-options": "nosniff",
    };
    let start = 0;
    let end = size - 1;
    const rangeHeader = full && !head ? request.headers.get("range") : null;
    if (rangeHeader !== null) {
      const ifRange = request.headers.get("if-range");
      const range =
        ifRange === null || ifRangeHolds(ifRange, etag, lastModified)
          ? parseRange(rangeHeader, size)
          : null;
      if (range === "unsatisfiable") {
        headers["content-range"] = `bytes */${size}`;
        headers["content-length"] = "0";
        return new Response(null, { status: 416, headers });
      }
      if (range !== null) {
        start = range.start;
        end = range.end;
        status = 206;
        headers["content-range"] = `bytes ${start}-${end}/${size}`;
        headers["content-length"] = String(end - start + 1);
      }
    }
    if (head) return new Response(null, { status, headers });

    const length = end - start + 1;
    if (length <= SMALL_FILE_MAX) {
      const body = length === 0 ? EMPTY : await readAt(fd, start, length);
      headers["content-length"] = String(body.byteLength);
      return new Response(body, { status, headers });
    }
    // With `fd` set the path is ignored; the stream closes fd when it ends, fails or is cancelled.
    const stream = createReadStream(file.real, { fd, start, end, autoClose: true });
    owned = false;
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers });
  } finally {
    if (owned) await closeFd(fd);
  }
}

function notModifiedSinceHeader(header: string | null, mtimeMs: number): boolean {
  return header !== null && notModifiedSince(header, mtimeMs);
}

function plain(status: number, text: string, head: boolean, extra?: HeaderMap): Response {
  const headers: HeaderMap = {
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": NO_CACHE,
    "x-content-type-options": "nosniff",
    ...extra,
  };
  return new Response(head ? null : text, { status, headers });
}
