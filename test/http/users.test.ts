import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sessionCookie } from "../../src/http/middleware/auth.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(() => t.close());

type U = { id: number; email: string; role: string; disabled: boolean };
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error;

describe("users", () => {
  it("creates, lists, changes role, disables and deletes", async () => {
    const res = await t.json("/api/v1/users", "POST", {
      email: "Dev@Example.com",
      password: "a good long passphrase",
      role: "deployer",
    });
    expect(res.status).toBe(201);
    const dev = (await res.json()) as U;
    expect(dev).toMatchObject({ email: "dev@example.com", role: "deployer", disabled: false });
    const list = (await (await t.request("/api/v1/users")).json()) as { items: U[] };
    expect(list.items.map((u) => u.email)).toEqual(["dev@example.com", "owner@example.com"]);
    const promoted = await t.json(`/api/v1/users/${dev.id}`, "PATCH", { role: "admin" });
    expect(((await promoted.json()) as U).role).toBe("admin");
    // a disabled user's keys stop working at once
    const user = t.deps.repos.users.byId(dev.id);
    if (!user) throw new Error("missing");
    const { key } = createApiKey(t.deps, user, { name: "k", scope: "read" });
    expect(
      (await t.anon("/api/v1/services", { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(200);
    await t.json(`/api/v1/users/${dev.id}`, "PATCH", { disabled: true });
    expect(
      (await t.anon("/api/v1/services", { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(401);
    expect((await t.request(`/api/v1/users/${dev.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await t.request(`/api/v1/users/${dev.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses bad input and writes nothing", async () => {
    const cases: [unknown, number, string?][] = [
      [
        { email: "not-an-email", password: "a good long passphrase", role: "viewer" },
        422,
        "invalid_email",
      ],
      [{ email: "v@example.com", password: "short", role: "viewer" }, 422, "weak_password"],
      [{ email: "v@example.com", password: "a good long passphrase", role: "god" }, 400],
      [
        { email: "owner@example.com", password: "a good long passphrase", role: "viewer" },
        409,
        "user_exists",
      ],
      [
        {
          email: "v@example.com",
          password: "a good long passphrase",
          role: "viewer",
          services: ["Bad Name"],
        },
        422,
      ],
    ];
    for (const [body, status, code] of cases) {
      const res = await t.json("/api/v1/users", "POST", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      if (code) expect((await errorOf(res)).code).toBe(code);
    }
    expect(t.deps.repos.users.list()).toHaveLength(1);
  });

  it("never leaves Berth without an active owner", async () => {
    const owner = t.deps.repos.users.byEmail("owner@example.com") as U;
    for (const patch of [{ role: "admin" }, { disabled: true }]) {
      const res = await t.json(`/api/v1/users/${owner.id}`, "PATCH", patch);
      expect(res.status).toBe(409);
      expect((await errorOf(res)).code).toBe("last_owner");
    }
    expect((await t.request(`/api/v1/users/${owner.id}`, { method: "DELETE" })).status).toBe(409);
  });

  it("lets only an owner make or change owners", async () => {
    const admin = t.deps.repos.users.insert(t.deps.db, {
      email: "admin@example.com",
      passwordHash: "x",
      role: "admin",
      services: null,
    });
    const { key } = createApiKey(t.deps, admin, { name: "k", scope: "admin" });
    const as = (path: string, method: string, body: unknown) =>
      t.anon(path, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect(
      (
        await as("/api/v1/users", "POST", {
          email: "o2@example.com",
          password: "a good long passphrase",
          role: "owner",
        })
      ).status,
    ).toBe(403);
    const owner = t.deps.repos.users.byEmail("owner@example.com") as U;
    expect((await as(`/api/v1/users/${owner.id}`, "PATCH", { disabled: true })).status).toBe(403);
    expect(
      (
        await as("/api/v1/users", "POST", {
          email: "v@example.com",
          password: "a good long passphrase",
          role: "viewer",
        })
      ).status,
    ).toBe(201);
  });
});

describe("session cookie", () => {
  it("uses the __Host- prefix and Secure behind https", () => {
    expect(sessionCookie("https://berth.example.com")).toEqual({
      name: "__Host-berth_session",
      secure: true,
    });
    expect(sessionCookie("http://localhost:8080")).toEqual({
      name: "berth_session",
      secure: false,
    });
  });
});
