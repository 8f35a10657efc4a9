/**
 * Turning a request URL into a path that is safe to join onto a release root.
 *
 * These checks are the first line of defence; serveRelease additionally
 * realpaths every target and requires it to stay inside the release.
 */

export type UrlParts = {
  /** The raw (still percent-encoded) path, always starting with "/". */
  pathname: string;
  /** The raw query string including its "?", or "". */
  search: string;
};

/**
 * Split an absolute URL string into its raw pathname and query without
 * normalising anything (unlike `new URL`), so crafted paths are seen as sent.
 */
export function splitUrl(url: string): UrlParts {
  const scheme = url.indexOf("://");
  let start = scheme === -1 ? 0 : scheme + 3;
  if (scheme !== -1) {
    // Skip the authority: it ends at the first "/", "?" or "#".
    while (start < url.length) {
      const c = url.charCodeAt(start);
      if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
      start++;
    }
  }
  let end = url.indexOf("#", start);
  if (end === -1) end = url.length;
  const query = url.indexOf("?", start);
  const pathEnd = query !== -1 && query < end ? query : end;
  let pathname = url.slice(start, pathEnd);
  if (pathname === "" || pathname.charCodeAt(0) !== 47) pathname = `/${pathname}`;
  return { pathname, search: pathEnd < end ? url.slice(pathEnd, end) : "" };
}

/** %2F / %5C (encoded slash and backslash) and %00 (NUL), in either case. */
const FORBIDDEN_ESCAPE = /%(?:2f|5c|00)/i;

/**
 * Percent-decode a raw request pathname once and check it.
 *
 * Returns the decoded path (starting with "/") or null when the request must
 * be rejected with 400: an encoded slash or backslash, a raw backslash, a NUL,
 * invalid percent-encoding (including invalid UTF-8), or a "." / ".." segment.
 * Dotfiles such as "/.well-known/x" are fine.
 */
export function decodeRequestPath(rawPathname: string): string | null {
  if (rawPathname.charCodeAt(0) !== 47 /* / */) return null;
  let path = rawPathname;
  if (path.includes("%")) {
    if (FORBIDDEN_ESCAPE.test(path)) return null;
    try {
      path = decodeURIComponent(path);
    } catch {
      return null;
    }
  }
  if (path.includes("\\") || path.includes("\0")) return null;
  if (path.includes("/.") && hasDotSegment(path)) return null;
  return path;
}

function hasDotSegment(path: string): boolean {
  for (const segment of path.split("/")) {
    if (segment === "." || segment === "..") return true;
  }
  return false;
}

/** The last segment of a decoded path ("" for a path ending in "/"). */
export function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Whether a path's last segment has a file extension ("app.js" yes; "about", ".env" no). */
export function hasExtension(path: string): boolean {
  const segment = lastSegment(path);
  return segment.lastIndexOf(".") > 0;
}

/**
 * A same-origin redirect target for `rawPathname` + "/" that cannot be turned
 * into a protocol-relative URL ("//evil.example/"): leading slashes collapse to one.
 */
export function directoryLocation(rawPathname: string, search: string): string {
  let start = 0;
  while (start < rawPathname.length && rawPathname.charCodeAt(start) === 47) start++;
  return `/${rawPathname.slice(start)}/${search}`;
}
