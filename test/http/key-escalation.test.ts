import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantableScopes, type Role, type Scope } from "../../src/domain/auth/permissions.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
const HOUR = 60 * 60 * 1000;

function keyFor(
  role: Role,
  scope: Scope,
  opts: { services?: string[] | null; service?: string | null; expiresIn?: number | null } = {},
) {
  const email = `${role}-${Math.random().toString(36).slice(2)}@example.com`;
  const user = t.deps.repos.users.insert(t.deps.db, {
    email,
    passwordHash: "unused",
    role,
    services: opts.services ?? null,
  });
  return createApiKey(t.deps, user, {
    name: "k",
    scope,
    service: opts.service ?? null,
    expiresIn: opts.expiresIn ?? null,
  });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const apiCreate = (key: string, body: object) =>
  t.anon("/api/v1/keys", {
    method: "POST",
    headers: { ...bearer(key), "content-type": "application/json" },
    body: JSON.stringify({ name: "minted", ...body }),
  });
const formCreate = (key: string, fields: Record<string, string>) =>
  t.anon("/keys", {
    method: "POST",
    headers: { ...bearer(key), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ name: "minted", ...fields }).toString(),
  });
const keyCount = () => t.deps.repos.users.keys().length;

beforeAll(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "a" });
  await t.json("/api/v1/services", "POST", { name: "b" });
});
afterAll(() => t.close());

describe("a credential only creates a credential weaker than or equal to itself", () => {
  it("a read key cannot mint a write key through the UI form, nor revoke its user's admin key", async () => {
    const admin = keyFor("owner", "admin");
    const read = createApiKey(t.deps, t.deps.repos.users.byId(admin.record.userId) as never, {
      name: "read",
      scope: "read",
    });
    const before = keyCount();
    const res = await formCreate(read.key, { scope: "write", expires: "never" });
    expect(res.status).toBe(403);
    expect(keyCount()).toBe(before);
    const revoke = await t.anon(`/keys/${admin.record.id}/revoke`, {
      method: "POST",
      headers: bearer(read.key),
    });
    expect(revoke.status).toBe(403);
    expect(t.deps.repos.users.keyById(admin.record.id)?.revokedAt).toBeNull();
    const apiRevoke = await t.anon(`/api/v1/keys/${admin.record.id}`, {
      method: "DELETE",
      headers: bearer(read.key),
    });
    expect(apiRevoke.status).toBe(403);
  });

  it("a deploy key limited to one service with an expiry mints nothing, by API or form", async () => {
    const deploy = keyFor("owner", "deploy", { service: "a", expiresIn: HOUR });
    const before = keyCount();
    expect((await apiCreate(deploy.key, { scope: "write", expires: "never" })).status).toBe(403);
    expect((await formCreate(deploy.key, { scope: "write", expires: "never" })).status).toBe(403);
    expect(keyCount()).toBe(before);
    // and the key it would have minted could not have deleted another service either
    const del = await t.anon("/api/v1/services/b", {
      method: "DELETE",
      headers: bearer(deploy.key),
    });
    expect(del.status).toBe(403);
  });

  it("an admin-scope key limited to a service makes keys only for that service", async () => {
    const limited = keyFor("owner", "admin", { service: "a" });
    const before = keyCount();
    const unlimited = await apiCreate(limited.key, { scope: "write" });
    expect(unlimited.status).toBe(403);
    expect(((await unlimited.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    expect((await apiCreate(limited.key, { scope: "write", service: "b" })).status).toBe(403);
    expect(keyCount()).toBe(before);
    const ok = await apiCreate(limited.key, { scope: "write", service: "a" });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { service: string }).service).toBe("a");
  });

  it("a key never makes a key that outlives it", async () => {
    const expiring = keyFor("owner", "admin", { expiresIn: 2 * HOUR });
    expect((await apiCreate(expiring.key, { scope: "read", expires: "never" })).status).toBe(403);
    expect((await apiCreate(expiring.key, { scope: "read", expires: "3h" })).status).toBe(403);
    expect((await formCreate(expiring.key, { scope: "read", expires: "never" })).status).toBe(403);
    expect((await apiCreate(expiring.key, { scope: "read", expires: "1h" })).status).toBe(201);
  });

  it("a role never holds a key scope above it", () => {
    const as = (role: Role, scope?: Scope) =>
      grantableScopes({
        kind: scope ? "key" : "user",
        userId: 1,
        label: "x",
        role,
        services: null,
        scope,
      });
    expect(as("viewer")).toEqual(["read"]);
    expect(as("deployer")).toEqual(["read", "deploy", "report"]);
    expect(as("admin")).toEqual(["read", "deploy", "write", "admin", "report", "metrics"]);
    expect(as("owner", "write")).toEqual(["read", "deploy", "write"]);
  });
});
