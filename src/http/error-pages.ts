import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError } from "../domain/errors.ts";
import type { Env } from "./context.ts";
import { statusFor } from "./errors.ts";
import { render } from "./render.ts";

/** An htmx request: it swaps what it gets, so it must never get JSON. */
export const isHtmx = (c: Context) => c.req.header("hx-request") === "true";

/** A browser page load (Accept names text/html) outside the JSON API. */
export function wantsHtmlPage(c: Context): boolean {
  if (c.req.path.startsWith("/api/v1/") || c.req.path === "/api/openapi.json") return false;
  return (c.req.header("accept") ?? "").includes("text/html");
}

/** Where to come back to after signing in again: the page htmx was on, on this host only. */
export function nextPath(c: Context): string {
  const current = c.req.header("hx-current-url");
  let p = c.req.method === "GET" ? c.req.path : "/";
  if (current) {
    try {
      const u = new URL(current);
      if (u.host === new URL(c.req.url).host) p = u.pathname + u.search;
    } catch {
      // not a URL: keep the request's own path
    }
  }
  return p === "/" ? "/login" : `/login?next=${encodeURIComponent(p)}`;
}

const titles: Partial<Record<number, string>> = {
  401: "Sign in required",
  403: "Not allowed",
  404: "Not found",
  500: "Something went wrong",
};

/**
 * The answer to an error for a browser: htmx asking after its session ended is sent to
 * sign in (HX-Redirect); a page load or an htmx swap gets HTML. Null: answer in JSON.
 */
export function htmlError(c: Context<Env>, err: unknown): Response | null {
  const htmx = isHtmx(c);
  if (!htmx && !wantsHtmlPage(c)) return null;
  const status: ContentfulStatusCode =
    err instanceof DomainError
      ? statusFor(err)
      : err instanceof HTTPException
        ? (err.status as ContentfulStatusCode)
        : 500;
  if (status === 401) {
    if (htmx) return c.body(null, 401, { "HX-Redirect": nextPath(c) });
    return c.redirect(nextPath(c), 302);
  }
  const message =
    status === 500
      ? "Something went wrong on the server."
      : err instanceof Error && err.message
        ? err.message
        : "Not found.";
  return render(c, {
    page: "pages/error.njk",
    partial: "partials/_error.njk",
    ctx: { status, message, title: titles[status] ?? "Something went wrong" },
    status,
  });
}
