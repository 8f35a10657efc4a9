import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role, Scope } from "../../src/domain/auth/permissions.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let groupId: number;

function keyFor(role: Role, scope: Scope = "admin", keyService: string | null = null) {
  const email = `${role}-${scope}-${keyService ?? "any"}@example.com`;
  const user =
    t.deps.repos.users.byEmail(email) ??
    t.deps.repos.users.insert(t.deps.db, { email, passwordHash: "x", role, services: null });
  return createApiKey(t.deps, user, { name: "k", scope, service: keyService }).key;
}

/** JSON for an object body, a form post for a string one (the UI's forms). */
function as(key: string | null, path: string, method = "GET", body?: unknown) {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  const form = typeof body === "string";
  if (body !== undefined)
    headers["content-type"] = form ? "application/x-www-form-urlencoded" : "application/json";
  return t.anon(path, {
    method,
    headers,
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
  });
}

beforeAll(async () => {
  t = createTestApp();
  for (const name of ["a", "b"]) await t.json("/api/v1/services", "POST", { name });
  const res = await t.json("/api/v1/services/a/reports", "POST", {
    message: "TypeError: x is undefined",
    stack:
      "TypeError: x is undefined\n    at render (/app/src/view.js:10:5)\n    at main (/app/src/index.js:3:1)",
    environment: "production",
    release: "r1",
    tags: { region: "eu" },
  });
  expect(res.status).toBe(200);
  const list = (await (await t.request("/api/v1/services/a/errors")).json()) as {
    groups: { id: number; title: string; culprit: string }[];
  };
  groupId = list.groups[0]?.id as number;
  expect(list.groups[0]).toMatchObject({
    title: "TypeError: x is undefined",
    culprit: "render (/app/src/view.js)",
  });
});
afterAll(() => t.close());

describe("the plain JSON intake", () => {
  it("takes a report from a key of scope report, for its service only", async () => {
    const k = keyFor("deployer", "report", "a");
    expect((await as(k, "/api/v1/services/a/reports", "POST", { message: "boom" })).status).toBe(
      200,
    );
    expect((await as(k, "/api/v1/services/b/reports", "POST", { message: "boom" })).status).toBe(
      403,
    );
    // a report key reads nothing
    expect((await as(k, "/api/v1/services/a/errors")).status).toBe(403);
    expect((await as(k, "/api/v1/services/a")).status).toBe(403);
  });

  it("refuses an empty message with 400 and stores nothing", async () => {
    const res = await t.json("/api/v1/services/a/reports", "POST", { message: "" });
    expect(res.status).toBe(400);
    const list = (await (await t.request("/api/v1/services/a/errors?q=boom")).json()) as {
      groups: { count: number }[];
    };
    expect(list.groups[0]?.count).toBe(1);
  });

  it("filters groups by status, environment, release and text", async () => {
    const get = async (q: string) =>
      ((await (await t.request(`/api/v1/services/a/errors?${q}`)).json()) as { groups: unknown[] })
        .groups.length;
    expect(await get("environment=production")).toBe(1);
    expect(await get("environment=staging")).toBe(0);
    expect(await get("release=r1")).toBe(1);
    expect(await get("q=undefined")).toBe(1);
    expect(await get("status=resolved")).toBe(0);
    expect((await t.request("/api/v1/services/a/errors?status=gone")).status).toBe(400);
  });
});

// every new route × role: allowed answers 200, refused 403; no credentials 401
const routes: Record<string, [string, string, unknown?]> = {
  "read the DSN": ["GET", "/api/v1/services/a/reporting"],
  "rotate the DSN key": ["POST", "/api/v1/services/a/reporting/rotate"],
  "list error groups": ["GET", "/api/v1/services/a/errors"],
  "read an error group": ["GET", "/api/v1/errors/{id}"],
  "change a group's status": ["PATCH", "/api/v1/errors/{id}", { status: "ignored" }],
  "post a report": ["POST", "/api/v1/services/a/reports", { message: "m" }],
  "see the errors page": ["GET", "/services/a/errors"],
  "see an error page": ["GET", "/errors/{id}"],
  "resolve from the error page": ["POST", "/errors/{id}/status", "status=unresolved"],
  "rotate the key from the errors page": ["POST", "/services/a/errors/rotate-key", ""],
};
const allowed: Record<string, Role[]> = {
  "read the DSN": ["owner", "admin", "deployer", "viewer"],
  "rotate the DSN key": ["owner", "admin"],
  "list error groups": ["owner", "admin", "deployer", "viewer"],
  "read an error group": ["owner", "admin", "deployer", "viewer"],
  "change a group's status": ["owner", "admin", "deployer"],
  "post a report": ["owner", "admin", "deployer"],
  "see the errors page": ["owner", "admin", "deployer", "viewer"],
  "see an error page": ["owner", "admin", "deployer", "viewer"],
  "resolve from the error page": ["owner", "admin", "deployer"],
  "rotate the key from the errors page": ["owner", "admin"],
};

describe("permissions of the error routes", () => {
  for (const [what, [method, path, body]] of Object.entries(routes)) {
    for (const role of ["owner", "admin", "deployer", "viewer"] as const) {
      const ok = allowed[what]?.includes(role);
      it(`${role} ${ok ? "may" : "may not"} ${what}`, async () => {
        const res = await as(keyFor(role), path.replace("{id}", String(groupId)), method, body);
        // a form post answers with a redirect to the page it changed
        if (ok) expect([200, 303]).toContain(res.status);
        else expect(res.status).toBe(403);
      });
    }
    it(`nobody signed in may not ${what}`, async () => {
      const res = await as(null, path.replace("{id}", String(groupId)), method, body);
      expect([401, 302]).toContain(res.status);
    });
    it(`a key limited to service b may not ${what} of service a`, async () => {
      const res = await as(
        keyFor("owner", "admin", "b"),
        path.replace("{id}", String(groupId)),
        method,
        body,
      );
      expect(res.status).toBe(403);
    });
  }
});
