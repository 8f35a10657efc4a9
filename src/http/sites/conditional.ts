/**
 * Validators (ETag / Last-Modified), conditional requests and byte ranges
 * (RFC 9110 §8.8, §13, §14) for static files.
 */

/** `"<size hex>-<mtime ms hex>"`: changes whenever a deploy rewrites the file. */
export function makeEtag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.trunc(mtimeMs).toString(16)}"`;
}

function opaqueTag(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}

/**
 * If-None-Match uses weak comparison: `W/"x"` matches `"x"`. Accepts lists
 * (`"a", W/"b"`) and `*` (which matches any current representation).
 */
export function noneMatchHits(header: string, etag: string): boolean {
  const ours = opaqueTag(etag);
  for (const raw of header.split(",")) {
    const tag = raw.trim();
    if (tag === "*" || opaqueTag(tag) === ours) return true;
  }
  return false;
}

/** Whether a file last modified at `mtimeMs` is unchanged since an If-Modified-Since date. */
export function notModifiedSince(header: string, mtimeMs: number): boolean {
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  // HTTP dates have one-second resolution.
  return Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * If-Range: the Range applies only when the validator still matches — an
 * exact (strong) entity tag, or exactly our Last-Modified date.
 */
export function ifRangeHolds(header: string, etag: string, lastModified: string): boolean {
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return value === etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Date.parse(lastModified);
}

export type ByteRange = { start: number; end: number };

const SINGLE_RANGE = /^bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i;

/**
 * Parse a Range header against a representation of `size` bytes.
 * - a satisfiable single range → { start, end } (inclusive, clamped to the size);
 * - a well-formed single range that cannot be satisfied → "unsatisfiable" (416);
 * - anything else (multiple ranges, other units, syntax errors) → null: ignore
 *   the header and serve the whole file.
 */
export function parseRange(header: string, size: number): ByteRange | "unsatisfiable" | null {
  const match = SINGLE_RANGE.exec(header);
  if (!match) return null;
  const first = match[1] ?? "";
  const last = match[2] ?? "";
  if (first === "" && last === "") return null;
  if (first === "") {
    // Suffix range: the last n bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(size - length, 0), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return null; // invalid range-spec
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}

/**
 * Whether an Accept header allows text/html. No header means anything goes;
 * the most specific matching entry (text/html, then text/*, then *\/*) decides,
 * and q=0 refuses.
 */
export function acceptsHtml(accept: string | null): boolean {
  if (accept === null || accept.trim() === "") return true;
  let best = -1; // specificity of the best match so far
  let allowed = false;
  for (const entry of accept.split(",")) {
    const [rawType = "", ...params] = entry.split(";");
    const type = rawType.trim().toLowerCase();
    const specificity = type === "text/html" ? 2 : type === "text/*" ? 1 : type === "*/*" ? 0 : -1;
    if (specificity < 0 || specificity < best) continue;
    let q = 1;
    for (const param of params) {
      const [name = "", value = ""] = param.split("=");
      if (name.trim().toLowerCase() === "q") q = Number(value.trim());
    }
    if (specificity > best) {
      best = specificity;
      allowed = q > 0;
    } else {
      allowed ||= q > 0;
    }
  }
  return allowed;
}
