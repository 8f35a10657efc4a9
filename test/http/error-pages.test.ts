import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "site" });
});
afterEach(() => t.close());

// an ended session: a cookie that no longer names a session
const expired = { cookie: "berth_session=ended", "sec-fetch-site": "same-origin" };

describe("errors answer in the form the client asked for", () => {
  it("htmx after the session ended is sent to sign in, back to the page it was on", async () => {
    const res = await t.anon("/services/site/environments/production/rollback", {
      method: "POST",
      headers: {
        ...expired,
        "hx-request": "true",
        "hx-current-url": "http://localhost:8080/services/site/environments/production",
      },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("hx-redirect")).toBe(
      `/login?next=${encodeURIComponent("/services/site/environments/production")}`,
    );
    expect(await res.text()).toBe("");
    // a GET swap (polling) too, rather than the sign-in page inside a card
    const get = await t.anon("/services/site", { headers: { ...expired, "hx-request": "true" } });
    expect(get.headers.get("hx-redirect")).toBe("/login?next=%2Fservices%2Fsite");
  });

  it("a browser gets HTML error pages, an API client JSON", async () => {
    const html = { accept: "text/html,application/xhtml+xml" };
    const missing = await t.request("/no/such/page", { headers: html });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("text/html");
    expect(await missing.text()).toContain("Not found");
    const api = await t.request("/api/v1/no/such", { headers: html });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("not_found");
    const plain = await t.request("/no/such/page");
    expect(plain.headers.get("content-type")).toContain("application/json");
    const cross = await t.anon("/services/site/environments/production/rollback", {
      method: "POST",
      headers: { ...html, cookie: "berth_session=x", "sec-fetch-site": "cross-site" },
    });
    // a form posted without a session goes to sign in, not to a JSON body
    expect(cross.status).toBe(302);
    expect(cross.headers.get("location")).toBe("/login");
  });

  it("/api/docs signed out sends the browser to sign in", async () => {
    const res = await t.anon("/api/docs", { headers: { accept: "text/html" } });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?next=%2Fapi%2Fdocs");
  });
});
