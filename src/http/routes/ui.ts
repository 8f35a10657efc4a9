import type { Hono } from "hono";
import type { Env, HttpDeps } from "../context.ts";

export function uiRoutes(app: Hono<Env>, _h: HttpDeps): void {
  app.get("/", (c) => c.redirect("/api/docs"));
}
