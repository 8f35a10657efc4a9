import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { ACCOUNT_FAILURES_PER_HOUR, delayAfter, login } from "../../src/services/auth/login.ts";
import {
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  validateSessionToken,
} from "../../src/services/auth/sessions.ts";
import { createTestApp, OWNER_PASSWORD, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(() => t.close());

const same = { "sec-fetch-site": "same-origin" };

async function signIn(email = "owner@example.com", password = OWNER_PASSWORD) {
  const res = await t.anon("/login", {
    method: "POST",
    headers: { ...same, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email, password, next: "/" }).toString(),
  });
  const setCookie = res.headers.get("set-cookie") ?? "";
  const token = /berth_session=([a-z2-7]+)/.exec(setCookie)?.[1];
  return { res, setCookie, token, cookie: `berth_session=${token}` };
}

describe("sign-in", () => {
  it("sets an HttpOnly SameSite=Lax session cookie and lets the user in", async () => {
    const { res, setCookie, cookie } = await signIn();
    expect(res.status).toBe(303);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // plain http here; see the https case below
    const me = await t.anon("/api/v1/me", { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe("owner@example.com");
  });

  it("answers an unknown user and a wrong password the same way", async () => {
    const unknown = await signIn("ghost@example.com", "whatever-password");
    const wrong = await signIn("owner@example.com", "wrong-password-here");
    expect(unknown.res.status).toBe(401);
    expect(wrong.res.status).toBe(401);
    const a = (await unknown.res.text()).replace(/value="[^"]*"/g, "");
    const b = (await wrong.res.text()).replace(/value="[^"]*"/g, "");
    expect(a).toBe(b);
    expect(a).toContain("Wrong email or password.");
    expect(unknown.token).toBeUndefined();
  });

  it("ends the session on the server at logout", async () => {
    const { cookie, token } = await signIn();
    const out = await t.anon("/logout", { method: "POST", headers: { cookie, ...same } });
    expect(out.status).toBe(303);
    expect(validateSessionToken(t.deps, token as string)).toBeNull();
    expect((await t.anon("/api/v1/me", { headers: { cookie } })).status).toBe(401);
  });

  it("slides the idle expiry and enforces the absolute lifetime", async () => {
    const now = Date.now();
    const { token } = await login(
      t.deps,
      { email: "owner@example.com", password: OWNER_PASSWORD, ip: "1.2.3.4" },
      now,
    );
    expect(validateSessionToken(t.deps, token, now + SESSION_IDLE_MS / 2 + 1000)?.fresh).toBe(true);
    // used regularly it lives on, but never past the absolute lifetime
    let at = now;
    while (at + SESSION_IDLE_MS / 2 < now + SESSION_MAX_MS) {
      at += SESSION_IDLE_MS / 2;
      expect(
        validateSessionToken(t.deps, token, at),
        `at +${(at - now) / 86_400_000} d`,
      ).not.toBeNull();
    }
    expect(validateSessionToken(t.deps, token, now + SESSION_MAX_MS + 1)).toBeNull();
    const idle = await login(
      t.deps,
      { email: "owner@example.com", password: OWNER_PASSWORD, ip: "1.2.3.4" },
      now,
    );
    expect(validateSessionToken(t.deps, idle.token, now + SESSION_IDLE_MS + 1)).toBeNull();
  });

  it("signs the user out everywhere else when the password changes", async () => {
    const first = await signIn();
    const second = await signIn();
    const res = await t.anon("/api/v1/me/password", {
      method: "POST",
      headers: { cookie: first.cookie, ...same, "content-type": "application/json" },
      body: JSON.stringify({ currentPassword: OWNER_PASSWORD, password: "a brand new passphrase" }),
    });
    expect(res.status).toBe(204);
    expect((await t.anon("/api/v1/me", { headers: { cookie: first.cookie } })).status).toBe(200);
    expect((await t.anon("/api/v1/me", { headers: { cookie: second.cookie } })).status).toBe(401);
    expect((await signIn("owner@example.com", "a brand new passphrase")).res.status).toBe(303);
  });

  it("refuses weak passwords", async () => {
    const { cookie } = await signIn();
    for (const password of ["short", "password1234", "x".repeat(129)]) {
      const res = await t.anon("/api/v1/me/password", {
        method: "POST",
        headers: { cookie, ...same, "content-type": "application/json" },
        body: JSON.stringify({ currentPassword: OWNER_PASSWORD, password }),
      });
      expect(res.status, password).toBe(422);
    }
  });
});

describe("login rate limits", () => {
  it("makes each failure past the free tries wait longer, and caps failures per hour", async () => {
    expect(delayAfter(4)).toBe(0);
    expect(delayAfter(5)).toBe(1000);
    expect(delayAfter(6)).toBe(2000);
    expect(delayAfter(30)).toBe(15 * 60_000);
    const at = Date.now();
    for (let i = 0; i < 5; i++) {
      await expect(
        login(
          t.deps,
          { email: "owner@example.com", password: "nope-nope-nope", ip: "9.9.9.9" },
          at,
        ),
      ).rejects.toMatchObject({ code: "invalid_credentials" });
    }
    // the 6th try within a second is refused before the password is even checked
    await expect(
      login(
        t.deps,
        { email: "owner@example.com", password: OWNER_PASSWORD, ip: "9.9.9.9" },
        at + 10,
      ),
    ).rejects.toMatchObject({
      code: "rate_limited",
    });
    // after the delay the right password works again and clears the count
    await expect(
      login(
        t.deps,
        { email: "owner@example.com", password: OWNER_PASSWORD, ip: "9.9.9.9" },
        at + 1500,
      ),
    ).resolves.toBeTruthy();
  });

  it("answers 429 with Retry-After once an account has had too many failures this hour", async () => {
    const now = Date.now();
    for (let i = 0; i < ACCOUNT_FAILURES_PER_HOUR; i++)
      t.deps.repos.users.addLoginFailure("owner@example.com", `10.0.0.${i % 250}`, now - 60_000);
    const { res } = await signIn();
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("CSRF", () => {
  it("refuses a cross-site POST that carries a valid session cookie", async () => {
    const { cookie } = await signIn();
    const res = await t.anon("/api/v1/services", {
      method: "POST",
      headers: { cookie, "sec-fetch-site": "cross-site", "content-type": "application/json" },
      body: JSON.stringify({ name: "evil" }),
    });
    expect(res.status).toBe(403);
    const sameSite = await t.anon("/api/v1/services", {
      method: "POST",
      headers: { cookie, "sec-fetch-site": "same-site", "content-type": "application/json" },
      body: JSON.stringify({ name: "evil" }),
    });
    expect(sameSite.status).toBe(403);
    const noHeaders = await t.anon("/api/v1/services", {
      method: "POST",
      headers: { cookie, origin: "http://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ name: "evil" }),
    });
    expect(noHeaders.status).toBe(403);
    expect((await t.request("/api/v1/services/evil")).status).toBe(404);
  });

  it("lets a same-origin htmx POST through, and an Origin match from an older browser", async () => {
    const { cookie } = await signIn();
    const res = await t.anon("/api/v1/services", {
      method: "POST",
      headers: { cookie, ...same, "hx-request": "true", "content-type": "application/json" },
      body: JSON.stringify({ name: "good" }),
    });
    expect(res.status).toBe(201);
    const old = await t.anon("/api/v1/services", {
      method: "POST",
      headers: { cookie, origin: "http://localhost:8080", "content-type": "application/json" },
      body: JSON.stringify({ name: "good2" }),
    });
    expect(old.status).toBe(201);
  });
});

describe("API keys", () => {
  it("stop working on the next request once revoked", async () => {
    const created = await t.json("/api/v1/keys", "POST", { name: "ci", scope: "deploy" });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: number; key: string; prefix: string };
    expect(body.key).toMatch(/^berth_[a-z2-7]{32}$/);
    expect(body.key.startsWith(body.prefix)).toBe(true);
    const use = () =>
      t.anon("/api/v1/services", { headers: { authorization: `Bearer ${body.key}` } });
    expect((await use()).status).toBe(200);
    const listed = (await (await t.request("/api/v1/keys")).json()) as {
      items: { id: number; lastUsedAt: string | null }[];
    };
    expect(listed.items.find((k) => k.id === body.id)?.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(body.key);
    expect((await t.request(`/api/v1/keys/${body.id}`, { method: "DELETE" })).status).toBe(200);
    const after = await use();
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe(
      "unauthenticated",
    );
  });

  it("stop working once expired", async () => {
    const owner = t.deps.repos.users.byEmail("owner@example.com");
    if (!owner) throw new Error("no owner");
    const { key } = createApiKey(t.deps, owner, { name: "short", scope: "read", expiresIn: 50 });
    expect(
      (await t.anon("/api/v1/services", { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 80));
    expect(
      (await t.anon("/api/v1/services", { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(401);
  });

  it("refuses bad key input with clear errors and creates nothing", async () => {
    const before = t.deps.repos.users.keys().length;
    expect((await t.json("/api/v1/keys", "POST", { name: "x", scope: "root" })).status).toBe(400);
    expect(
      (await t.json("/api/v1/keys", "POST", { name: "x", scope: "read", expires: "soon" })).status,
    ).toBe(422);
    expect((await t.json("/api/v1/keys", "POST", { name: "", scope: "read" })).status).toBe(422);
    expect(
      (await t.json("/api/v1/keys", "POST", { name: "x", scope: "read", service: "ghost" })).status,
    ).toBe(404);
    expect(t.deps.repos.users.keys().length).toBe(before);
  });
});

describe("secrets at rest", () => {
  it("the database file holds no raw session token or API key", async () => {
    const { token } = await signIn();
    const created = (await (
      await t.json("/api/v1/keys", "POST", { name: "ci", scope: "deploy" })
    ).json()) as { key: string };
    t.deps.db.$client.pragma("wal_checkpoint(TRUNCATE)");
    const files = ["berth.db", "berth.db-wal"]
      .map((f) => `${t.dir}/${f}`)
      .filter((f) => fs.existsSync(f));
    const raw = Buffer.concat(files.map((f) => fs.readFileSync(f))).toString("latin1");
    expect(token).toBeTruthy();
    expect(raw).not.toContain(token as string);
    expect(raw).not.toContain(created.key);
    expect(raw).not.toContain(created.key.slice(6));
    expect(raw).not.toContain(t.key.slice(6));
  });
});

describe("audit trail", () => {
  it("records state changes with who, what, result and IP, and offers no way to edit them", async () => {
    await t.json("/api/v1/services", "POST", { name: "audited" });
    await t.json("/api/v1/services", "POST", { name: "Bad" });
    await signIn("owner@example.com", "wrong-password-here");
    const res = await t.request("/api/v1/audit?limit=10");
    const { items } = (await res.json()) as {
      items: { action: string; actor: string; result: string; target: string }[];
    };
    expect(items[0]).toMatchObject({
      action: "login",
      actor: "owner@example.com",
      result: "denied",
    });
    // a readable action and the resource it touched; the request as it came beside them
    expect(items[1]).toMatchObject({
      action: "service.create",
      result: "failed",
      request: "POST /api/v1/services",
    });
    expect(items[2]).toMatchObject({ action: "service.create", target: "audited", result: "ok" });
    expect(items[2]?.actor).toMatch(/^berth_/);
    const filtered = (await (await t.request("/api/v1/audit?result=denied")).json()) as {
      items: unknown[];
    };
    expect(filtered.items).toHaveLength(1);
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      expect((await t.request("/api/v1/audit", { method })).status).toBe(404);
    }
  });
});
