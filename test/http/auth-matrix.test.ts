import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role, Scope } from "../../src/domain/auth/permissions.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, makeZip, type TestApp } from "../helpers/app.ts";

let t: TestApp;
const keys: Record<string, string> = {};

function keyFor(
  role: Role,
  scope: Scope = "admin",
  services: string[] | null = null,
  keyService: string | null = null,
) {
  const email = `${role}-${scope}-${services?.join("+") ?? "all"}-${keyService ?? "any"}@example.com`;
  const user =
    t.deps.repos.users.byEmail(email) ??
    t.deps.repos.users.insert(t.deps.db, { email, passwordHash: "unused", role, services });
  return createApiKey(t.deps, user, { name: "m", scope, service: keyService }).key;
}

beforeAll(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "a" });
  await t.json("/api/v1/services", "POST", { name: "b" });
  for (const role of ["owner", "admin", "deployer", "viewer"] as const) keys[role] = keyFor(role);
});
afterAll(() => t.close());

function as(key: string, path: string, method = "GET", body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  let payload: RequestInit["body"];
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  return t.anon(path, { method, headers, body: payload });
}

const upload = () => {
  const form = new FormData();
  form.set("bundle", new Blob([new Uint8Array(makeZip({ "index.html": "x" }))]), "b.zip");
  return form;
};

let n = 0;
const actions: Record<string, (k: string) => Promise<Response>> = {
  "read services": (k) => as(k, "/api/v1/services/a"),
  "create a service": (k) => as(k, "/api/v1/services", "POST", { name: `svc${n++}` }),
  "create an environment": (k) =>
    as(k, "/api/v1/services/a/environments", "POST", { name: `env${n++}` }),
  deploy: (k) => as(k, "/api/v1/services/a/environments/production/deployments", "POST", upload()),
  "roll back": (k) => as(k, "/api/v1/services/a/environments/production/rollback", "POST", {}),
  "list users": (k) => as(k, "/api/v1/users"),
  "read the audit trail": (k) => as(k, "/api/v1/audit"),
};

// allowed → the status the action answers with (409: allowed but nothing to roll back to)
const allowed: Record<string, Record<Role, boolean>> = {
  "read services": { owner: true, admin: true, deployer: true, viewer: true },
  "create a service": { owner: true, admin: true, deployer: false, viewer: false },
  "create an environment": { owner: true, admin: true, deployer: false, viewer: false },
  deploy: { owner: true, admin: true, deployer: true, viewer: false },
  "roll back": { owner: true, admin: true, deployer: true, viewer: false },
  "list users": { owner: true, admin: true, deployer: false, viewer: false },
  "read the audit trail": { owner: true, admin: true, deployer: false, viewer: false },
};

describe("role × permission matrix over the API", () => {
  for (const [action, byRole] of Object.entries(allowed)) {
    for (const [role, ok] of Object.entries(byRole)) {
      it(`${role} ${ok ? "may" : "may not"} ${action}`, async () => {
        const res = await actions[action]?.(keys[role] as string);
        if (!res) throw new Error(action);
        if (ok) expect([200, 201, 202, 409], `${res.status}`).toContain(res.status);
        else {
          expect(res.status).toBe(403);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
        }
      });
    }
  }
});

describe("scopes and service limits", () => {
  it("a key never does more than its scope allows, whatever the role", async () => {
    const read = keyFor("owner", "read");
    expect((await as(read, "/api/v1/services/a")).status).toBe(200);
    expect((await as(read, "/api/v1/services", "POST", { name: "nope" })).status).toBe(403);
    expect(
      (await as(read, "/api/v1/services/a/environments/production/deployments", "POST", upload()))
        .status,
    ).toBe(403);
    const deploy = keyFor("owner", "deploy");
    expect(
      (await as(deploy, "/api/v1/services/a/environments/production/deployments", "POST", upload()))
        .status,
    ).toBe(202);
    expect(
      (await as(deploy, "/api/v1/services/a/environments", "POST", { name: "x" })).status,
    ).toBe(403);
    const write = keyFor("owner", "write");
    expect(
      (await as(write, "/api/v1/services/a/environments", "POST", { name: "w1" })).status,
    ).toBe(201);
    expect((await as(write, "/api/v1/users")).status).toBe(403);
    // a scope cannot lift a role: a viewer's deploy key still cannot deploy
    const viewerDeploy = keyFor("viewer", "deploy");
    expect(
      (
        await as(
          viewerDeploy,
          "/api/v1/services/a/environments/production/deployments",
          "POST",
          upload(),
        )
      ).status,
    ).toBe(403);
  });

  it("a user limited to some services sees and touches only those", async () => {
    const k = keyFor("deployer", "admin", ["a"]);
    const list = (await (await as(k, "/api/v1/services")).json()) as { items: { name: string }[] };
    expect(list.items.map((s) => s.name)).toEqual(["a"]);
    expect((await as(k, "/api/v1/services/b")).status).toBe(403);
    expect(
      (await as(k, "/api/v1/services/b/environments/production/deployments", "POST", upload()))
        .status,
    ).toBe(403);
    expect(
      (await as(k, "/api/v1/services/a/environments/production/deployments", "POST", upload()))
        .status,
    ).toBe(202);
  });

  it("a key limited to one service cannot reach another", async () => {
    const k = keyFor("owner", "deploy", null, "b");
    expect((await as(k, "/api/v1/services/a")).status).toBe(403);
    expect((await as(k, "/api/v1/services/b")).status).toBe(200);
    const list = (await (await as(k, "/api/v1/services")).json()) as { items: { name: string }[] };
    expect(list.items.map((s) => s.name)).toEqual(["b"]);
  });
});
