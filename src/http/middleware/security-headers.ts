import type { MiddlewareHandler } from "hono";

/**
 * Berth's own pages and API: scripts only from Berth itself (htmx and the UI's scripts
 * are served from /assets), never framed, no MIME sniffing, no full URLs in Referer.
 * Served sites answer before this runs and keep their own headers.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Swagger UI and htmx's indicator styles set style attributes
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    if (!h.has("content-security-policy")) h.set("content-security-policy", CSP);
    h.set("x-content-type-options", "nosniff");
    h.set("referrer-policy", "strict-origin-when-cross-origin");
    h.set("x-frame-options", "DENY");
  };
}
