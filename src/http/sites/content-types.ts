/**
 * Content types and cache classes for files served out of a static release.
 */

const UTF8 = "; charset=utf-8";

/** Extension (lower case, no dot) → Content-Type. A Map so "constructor" & co. never match. */
const TYPES: ReadonlyMap<string, string> = new Map([
  // Documents and text
  ["html", `text/html${UTF8}`],
  ["htm", `text/html${UTF8}`],
  ["xhtml", `application/xhtml+xml${UTF8}`],
  ["css", `text/css${UTF8}`],
  ["js", `text/javascript${UTF8}`],
  ["mjs", `text/javascript${UTF8}`],
  ["cjs", `text/javascript${UTF8}`],
  ["json", `application/json${UTF8}`],
  ["map", `application/json${UTF8}`],
  ["jsonld", `application/ld+json${UTF8}`],
  ["webmanifest", `application/manifest+json${UTF8}`],
  ["txt", `text/plain${UTF8}`],
  ["xml", `application/xml${UTF8}`],
  ["rss", `application/rss+xml${UTF8}`],
  ["atom", `application/atom+xml${UTF8}`],
  ["svg", `image/svg+xml${UTF8}`],
  ["csv", `text/csv${UTF8}`],
  ["md", `text/markdown${UTF8}`],
  ["markdown", `text/markdown${UTF8}`],
  ["yaml", `text/yaml${UTF8}`],
  ["yml", `text/yaml${UTF8}`],
  ["ics", `text/calendar${UTF8}`],
  ["vtt", `text/vtt${UTF8}`],
  // Images
  ["png", "image/png"],
  ["apng", "image/apng"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["gif", "image/gif"],
  ["webp", "image/webp"],
  ["avif", "image/avif"],
  ["ico", "image/x-icon"],
  ["bmp", "image/bmp"],
  ["tif", "image/tiff"],
  ["tiff", "image/tiff"],
  // Fonts
  ["woff", "font/woff"],
  ["woff2", "font/woff2"],
  ["ttf", "font/ttf"],
  ["otf", "font/otf"],
  ["eot", "application/vnd.ms-fontobject"],
  // Media
  ["mp4", "video/mp4"],
  ["m4v", "video/mp4"],
  ["webm", "video/webm"],
  ["ogv", "video/ogg"],
  ["mov", "video/quicktime"],
  ["mp3", "audio/mpeg"],
  ["m4a", "audio/mp4"],
  ["ogg", "audio/ogg"],
  ["oga", "audio/ogg"],
  ["opus", "audio/ogg"],
  ["wav", "audio/wav"],
  ["flac", "audio/flac"],
  // Binaries and archives
  ["wasm", "application/wasm"],
  ["pdf", "application/pdf"],
  ["zip", "application/zip"],
  ["gz", "application/gzip"],
  ["tgz", "application/gzip"],
  ["tar", "application/x-tar"],
  ["br", "application/x-brotli"],
  ["7z", "application/x-7z-compressed"],
]);

const OCTET_STREAM = "application/octet-stream";

/** Content-Type for a file name or path, by its last extension; unknown → application/octet-stream. */
export function contentTypeFor(path: string): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash + 1) return OCTET_STREAM; // no extension, or a bare dotfile like ".env"
  return TYPES.get(path.slice(dot + 1).toLowerCase()) ?? OCTET_STREAM;
}

/** Whether a Content-Type (as returned by contentTypeFor) is HTML. */
export function isHtmlType(contentType: string): boolean {
  return contentType.startsWith("text/html") || contentType.startsWith("application/xhtml+xml");
}

const BASE64URL_ONLY = /^[A-Za-z0-9_-]+$/;
const HEX_ONLY = /^[0-9a-f]+$/i;
const HAS_DIGIT = /[0-9]/;
const HAS_LETTER = /[A-Za-z]/;

/** 0 = digit, 1 = upper case, 2 = lower case, 3 = "-" or "_". */
function charClass(code: number): number {
  if (code >= 48 && code <= 57) return 0;
  if (code >= 65 && code <= 90) return 1;
  if (code >= 97 && code <= 122) return 2;
  return 3;
}

/** How often consecutive characters switch class: "BxK2f9aZ" → 7, "banner24" → 1. */
function classChanges(token: string): number {
  let changes = 0;
  let previous = charClass(token.charCodeAt(0));
  for (let i = 1; i < token.length; i++) {
    const current = charClass(token.charCodeAt(i));
    if (current !== previous) changes++;
    previous = current;
  }
  return changes;
}

/**
 * Whether `token` looks like a content hash a bundler put into a file name:
 * - hex of at least 8 characters mixing letters and digits (webpack, Parcel, Next.js:
 *   "3f9a2c1d", "abcdef0123"); all-digit tokens are dates or versions, not hashes;
 * - or exactly 8 base64url characters that look random (Rollup/Vite, esbuild:
 *   "BxK2f9aZ", "B-x_2f9a"), which rules out words like "settings" or "banner24".
 */
function isHashToken(token: string): boolean {
  if (token.length < 8) return false;
  if (HEX_ONLY.test(token)) return HAS_DIGIT.test(token) && HAS_LETTER.test(token);
  if (token.length !== 8 || !BASE64URL_ONLY.test(token)) return false;
  return classChanges(token) >= 3;
}

/**
 * Whether a file name carries a content hash, so that it can be cached forever:
 * `app.3f9a2c1d.js`, `index-BxK2f9aZ.css`, `chunk.abcdef0123.woff2`,
 * `_app-3f9a2c1d5e6f7a8b.js`, or a bare hex hash `8a1b2c3d4e5f6a7b.css`.
 * Plain names (`logo.png`, `background2.png`) and version numbers
 * (`jquery-3.7.1.min.js`) are not fingerprinted.
 */
export function isFingerprinted(path: string): boolean {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  // The stem: the base name without its last extension.
  const stem = dot > slash + 1 ? path.slice(slash + 1, dot) : path.slice(slash + 1);
  if (stem.length < 8) return false;
  const parts = stem.split(".");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    // A whole dot-separated part after the name: "app.3f9a2c1d".
    if (i > 0 && isHashToken(part)) return true;
    // A bare long hex hash as the whole name: "8a1b2c3d4e5f6a7b".
    if (i === 0 && part.length >= 16 && isHashToken(part)) return true;
    // A hash after "-" or "_" inside a part: "index-BxK2f9aZ", "index-B-x_2f9a".
    for (let at = 1; at < part.length - 7; at++) {
      const c = part.charCodeAt(at - 1);
      if (c !== 45 /* - */ && c !== 95 /* _ */) continue;
      if (isHashToken(part.slice(at))) return true;
    }
  }
  return false;
}
