import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(() => t.close());

const form = (fields: Record<string, string>, htmx = true) => ({
  method: "POST",
  headers: {
    "content-type": "application/x-www-form-urlencoded",
    ...(htmx ? { "hx-request": "true" } : {}),
  },
  body: new URLSearchParams(fields).toString(),
});

function keyAs(role: "viewer" | "deployer") {
  const user = t.deps.repos.users.insert(t.deps.db, {
    email: `${role}@example.com`,
    passwordHash: "x",
    role,
    services: null,
  });
  return createApiKey(t.deps, user, { name: "k", scope: "admin" }).key;
}

describe("navigation", () => {
  it("shows Users and Audit to an owner only", async () => {
    const owner = await (await t.request("/")).text();
    expect(owner).toContain('href="/users"');
    expect(owner).toContain('href="/audit"');
    expect(owner).toContain('href="/keys"');
    const viewer = await (
      await t.anon("/", { headers: { authorization: `Bearer ${keyAs("viewer")}` } })
    ).text();
    expect(viewer).not.toContain('href="/users"');
    expect(viewer).not.toContain('href="/audit"');
    expect(viewer).toContain('href="/keys"');
  });

  it("refuses the users and audit pages to a viewer with an HTML 403", async () => {
    const key = keyAs("viewer");
    for (const p of ["/users", "/audit"]) {
      const res = await t.anon(p, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status, p).toBe(403);
      expect(res.headers.get("content-type")).toContain("text/html");
    }
  });
});

describe("users page", () => {
  it("adds a user, and shows a bad one's error beside the field without creating it", async () => {
    const bad = await t.request(
      "/users",
      form({ email: "nope", password: "a good long passphrase", role: "viewer" }),
    );
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('id="email-error"');
    expect(html).not.toContain("<html");
    expect(t.deps.repos.users.list()).toHaveLength(1);
    const ok = await t.request(
      "/users",
      form({ email: "dev@example.com", password: "a good long passphrase", role: "deployer" }),
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("dev@example.com");
  });
});

describe("resetting another user's password", () => {
  it("the users page links it, and the form sets the password", async () => {
    const ok = await t.request(
      "/users",
      form({ email: "dev@example.com", password: "a good long passphrase", role: "deployer" }),
    );
    const dev = t.deps.repos.users.byEmail("dev@example.com");
    expect(await ok.text()).toContain(`action="/users/${dev?.id}/password"`);
    const before = dev?.passwordHash;
    const res = await t.request(
      `/users/${dev?.id}/password`,
      form({ password: "another long passphrase" }),
    );
    expect(res.status).toBe(200);
    expect(t.deps.repos.users.byEmail("dev@example.com")?.passwordHash).not.toBe(before);
  });
});

describe("API keys page", () => {
  it("shows a new key once, then only its prefix", async () => {
    const res = await t.request(
      "/keys",
      form({ name: "deploy bot", scope: "deploy", expires: "30d" }),
    );
    expect(res.status).toBe(201);
    const html = await res.text();
    const key = /berth_[a-z2-7]{32}/.exec(html)?.[0] as string;
    expect(key).toBeTruthy();
    expect(html).toContain("never show it again");
    const later = await (await t.request("/keys")).text();
    expect(later).not.toContain(key);
    expect(later).toContain(key.slice(0, 14));
  });

  it("shows a bad expiry beside its field and creates nothing", async () => {
    const before = t.deps.repos.users.keys().length;
    const res = await t.request("/keys", form({ name: "x", scope: "read", expires: "tomorrow" }));
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('id="expires-error"');
    expect(t.deps.repos.users.keys().length).toBe(before);
  });
});

describe("audit page", () => {
  it("lists events and filters them", async () => {
    await t.json("/api/v1/services", "POST", { name: "site" });
    await t.json("/api/v1/services", "POST", { name: "Bad" });
    const all = await (await t.request("/audit")).text();
    expect(all).toContain("POST /api/v1/services");
    const failed = await (
      await t.request("/audit?result=failed", { headers: { "hx-request": "true" } })
    ).text();
    expect(failed).not.toContain("<html");
    expect((failed.match(/badge-failed/g) ?? []).length).toBe(1);
    expect(failed).not.toContain("badge-live");
  });
});

describe("account page", () => {
  it("changes the signed-in user's password and refuses a wrong current one", async () => {
    const { OWNER_PASSWORD } = await import("../helpers/app.ts");
    const login = await t.anon("/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "same-origin",
      },
      body: new URLSearchParams({
        email: "owner@example.com",
        password: OWNER_PASSWORD,
      }).toString(),
    });
    const cookie = /berth_session=[a-z2-7]+/.exec(
      login.headers.get("set-cookie") ?? "",
    )?.[0] as string;
    const post = (fields: Record<string, string>) =>
      t.anon("/account/password", {
        ...form(fields),
        headers: { ...form(fields).headers, cookie, "sec-fetch-site": "same-origin" },
      });
    const wrong = await post({
      currentPassword: "not it at all",
      password: "a fresh passphrase here",
    });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('id="currentPassword-error"');
    const weak = await post({ currentPassword: OWNER_PASSWORD, password: "short" });
    expect(weak.status).toBe(422);
    const ok = await post({ currentPassword: OWNER_PASSWORD, password: "a fresh passphrase here" });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("Password changed");
    expect((await t.anon("/account", { headers: { cookie } })).status).toBe(200);
  });
});
