import type { Hono } from "hono";
import type { GuardInfo } from "../../src/http/middleware/access.ts";

export type Route = { method: string; path: string; guard: GuardInfo | undefined };

/** Every route an app registers (API and UI), each with the guard among its handlers. */
export function inventory(app: Hono<never> | { routes: Hono["routes"] }): Route[] {
  const routes = new Map<string, Route>();
  for (const r of app.routes) {
    if (r.path.includes("*") && r.method === "ALL") continue; // app-wide middleware
    const id = `${r.method} ${r.path}`;
    const route = routes.get(id) ?? { method: r.method, path: r.path, guard: undefined };
    // a sub-app with its own error handler wraps each handler; the original is kept on it
    const handler = r.handler as {
      guard?: GuardInfo;
      __COMPOSED_HANDLER?: { guard?: GuardInfo };
    };
    const info = handler.guard ?? handler.__COMPOSED_HANDLER?.guard;
    if (info) route.guard = info;
    routes.set(id, route);
  }
  return [...routes.values()];
}
