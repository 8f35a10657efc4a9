import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPublic } from "../../src/http/middleware/access.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeAll(() => {
  t = createTestApp();
});
afterAll(() => t.close());

/** A concrete path for a route pattern: every parameter filled with a plausible value. */
const concrete = (pattern: string) =>
  pattern
    .replace(/:service\b/g, "site")
    .replace(/:env\b/g, "production")
    .replace(/:id\b/g, "01aaaaaaaaaaaaaaaaaaaaaaaa")
    .replace(/:[a-zA-Z]+/g, "x")
    .replace(/\*/g, "x");

describe("route inventory", () => {
  it("refuses an anonymous request on every route that is not public", async () => {
    const routes = t.app.routes.filter((r) => r.method !== "ALL");
    expect(routes.length).toBeGreaterThan(20);
    const checked: string[] = [];
    for (const r of routes) {
      const path = concrete(r.path);
      if (isPublic(path)) continue;
      const res = await t.anon(path, {
        method: r.method,
        headers: { "sec-fetch-site": "same-origin" },
      });
      const label = `${r.method} ${r.path} -> ${res.status}`;
      // the API reference is a page: a browser signs in first
      const page = r.method === "GET" && (path === "/api/docs" || !path.startsWith("/api/"));
      if (!page) {
        expect([401], label).toContain(res.status);
        if (path.startsWith("/api/")) {
          expect((await res.json()) as unknown, label).toMatchObject({
            error: { code: "unauthenticated" },
          });
        }
      } else {
        expect(res.status, label).toBe(302);
        expect(res.headers.get("location"), label).toMatch(/^\/login/);
      }
      checked.push(label);
    }
    expect(checked.length).toBeGreaterThan(15);
  });

  it("keeps the public surface small", async () => {
    for (const p of ["/healthz", "/login", "/assets/htmx.min.js"]) {
      expect((await t.anon(p)).status, p).toBe(200);
    }
    // sites are public too: they are served before any of the app's routes
    expect((await t.anon("/", { headers: { host: "production--site.localhost" } })).status).toBe(
      404,
    );
  });

  it("refuses a bad bearer key even on a public-looking API path", async () => {
    const res = await t.anon("/api/v1/services", {
      headers: { authorization: "Bearer berth_nope" },
    });
    expect(res.status).toBe(401);
  });
});
