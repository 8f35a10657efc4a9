import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login } from "../../src/services/auth/login.ts";
import {
  createTestApp,
  makeZip,
  OWNER_PASSWORD,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "site" });
  const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "<p>hi</p>" }));
  await waitForDeployment(t, ((await res.json()) as { id: string }).id);
});
afterAll(() => t.close());

describe("sign-in throttling per (account, address)", () => {
  it("a stranger's wrong guesses never lock the owner out", async () => {
    const at = Date.now();
    for (let i = 0; i < 12; i++) {
      await expect(
        login(
          t.deps,
          { email: "owner@example.com", password: `guess-${i}-xx`, ip: "203.0.113.9" },
          at + i,
        ),
      ).rejects.toMatchObject({ code: expect.stringMatching(/invalid_credentials|rate_limited/) });
    }
    // the stranger waits; the owner, from their own address, does not
    await expect(
      login(
        t.deps,
        { email: "owner@example.com", password: OWNER_PASSWORD, ip: "203.0.113.9" },
        at + 20,
      ),
    ).rejects.toMatchObject({ code: "rate_limited" });
    await expect(
      login(
        t.deps,
        { email: "owner@example.com", password: OWNER_PASSWORD, ip: "198.51.100.7" },
        at + 20,
      ),
    ).resolves.toBeTruthy();
  });
});

describe("response headers", () => {
  it("UI and API answers carry CSP, nosniff and a referrer policy; sites keep their own", async () => {
    for (const p of ["/", "/api/v1/services", "/login"]) {
      const res = await (p === "/login" ? t.anon(p) : t.request(p));
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, p).toContain("script-src 'self'");
      expect(csp, p).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options"), p).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), p).toBe("strict-origin-when-cross-origin");
    }
    const site = await t.anon("/", { headers: { host: "production--site.localhost" } });
    expect(site.status).toBe(200);
    expect(site.headers.get("content-security-policy")).toBeNull();
  });
});

describe("unknown site names", () => {
  it("answer one 404 whether the service or the environment is unknown", async () => {
    const bodies = [];
    for (const host of [
      "production--nope.localhost",
      "nope--site.localhost",
      "01aaaaaaaaaaaaaaaaaaaaaaaa--site.localhost",
    ]) {
      const res = await t.anon("/", { headers: { host } });
      expect(res.status, host).toBe(404);
      bodies.push(await res.text());
    }
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).not.toContain("nope");
  });
});
