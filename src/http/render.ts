import path from "node:path";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import nunjucks from "nunjucks";
import { can } from "../domain/auth/permissions.ts";
import { formatBytes } from "../services/releases/pipeline.ts";
import { assetVersion } from "./assets.ts";
import type { Env } from "./context.ts";

const viewsDir = path.resolve(import.meta.dirname, "../../views");

/** Relative age of a millisecond timestamp: "just now", "5 min ago", "3 d ago". */
export function ago(ms: number | null | undefined, now: number = Date.now()): string {
  if (ms === null || ms === undefined) return "";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 10) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** "2025-01-31 14:05:09 UTC": unambiguous whatever the viewer's locale. */
export function datetime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "";
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

const views = new nunjucks.Environment(
  new nunjucks.FileSystemLoader(viewsDir, { noCache: false }),
  {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  },
);
views.addGlobal("assetVersion", assetVersion());
views.addFilter("ago", ago);
views.addFilter("datetime", datetime);
views.addFilter("iso", (ms: number | null | undefined) =>
  ms == null ? "" : new Date(ms).toISOString(),
);
views.addFilter("clock", (ms: number) => new Date(ms).toISOString().slice(11, 23));
views.addFilter("bytes", (n: number | null | undefined) => (n == null ? "" : formatBytes(n)));
// ids are ULIDs: the leading characters are a timestamp shared by neighbours, the tail is not
views.addFilter("short", (id: string | null | undefined) => (id ? id.slice(-8) : ""));
// the same 8 characters for ids inside a sentence (activity messages name deployments)
views.addFilter("shortIds", (text: string | null | undefined) =>
  (text ?? "").replace(/\b[0-9a-hjkmnp-tv-z]{26}\b/gi, (id) => id.slice(-8)),
);

/** Renders one template file from views/ (never a string from a request). */
export function renderView(name: string, ctx: object): string {
  return views.render(name, ctx);
}

/**
 * True when htmx asked for a piece of a page. A boosted link, a history restore or a
 * request that targets the whole body wants the full page like a browser does.
 */
export function wantsFragment(c: Context): boolean {
  const is = (name: string) => c.req.header(name) === "true";
  return (
    is("hx-request") &&
    !is("hx-boosted") &&
    !is("hx-history-restore-request") &&
    c.req.header("hx-request-type") !== "full"
  );
}

/**
 * The one place that decides page or fragment. The page template includes the same
 * partial file that an htmx request gets alone, so both always agree.
 */
export function render(
  c: Context<Env>,
  view: { page: string; partial: string; ctx: object; status?: ContentfulStatusCode },
): Response {
  c.header("Vary", "HX-Request", { append: true });
  const name = wantsFragment(c) ? view.partial : view.page;
  const user = c.get("user");
  const p = c.get("principal");
  // the navigation offers only what the viewer may open
  const viewer =
    user && p
      ? {
          email: user.email,
          role: user.role,
          users: can(p, "users.manage"),
          audit: can(p, "audit.read"),
          settings: can(p, "settings.manage"),
          jobs: can(p, "jobs.read"),
          notifications: can(p, "notifications.manage"),
        }
      : null;
  return c.html(renderView(name, { viewer, ...view.ctx }), view.status ?? 200);
}
