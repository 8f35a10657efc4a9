import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Permission, Role, Scope } from "../../src/domain/auth/permissions.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let runId = "";
const keys: Record<string, string> = {};

function keyFor(role: Role, scope: Scope = "admin") {
  const email = `${role}-${scope}@example.com`;
  const user =
    t.deps.repos.users.byEmail(email) ??
    t.deps.repos.users.insert(t.deps.db, { email, passwordHash: "x", role, services: null });
  return createApiKey(t.deps, user, { name: "m", scope }).key;
}

beforeAll(async () => {
  t = createTestApp();
  const tpl = { name: "hello", interpreter: "sh", body: "echo hi", params: [] };
  expect((await t.json("/api/v1/templates", "POST", tpl)).status).toBe(201);
  expect((await t.json("/api/v1/jobs", "POST", { name: "hi", template: "hello" })).status).toBe(
    201,
  );
  const run = await t.json("/api/v1/jobs/hi/runs", "POST", { delaySeconds: 3600 });
  runId = ((await run.json()) as { id: string }).id;
  for (const role of ["owner", "admin", "deployer", "viewer"] as const) keys[role] = keyFor(role);
  for (const scope of ["read", "deploy", "write"] as const)
    keys[`owner-${scope}`] = keyFor("owner", scope);
});
afterAll(() => t.close());

let n = 0;
/** Every jobs route, with the permission that guards it. */
const routes: [string, string, () => unknown, Permission][] = [
  ["GET", "/api/v1/templates", () => undefined, "jobs.read"],
  [
    "POST",
    "/api/v1/templates",
    () => ({ name: `t${n++}`, interpreter: "sh", body: "true" }),
    "templates.write",
  ],
  ["GET", "/api/v1/templates/hello", () => undefined, "jobs.read"],
  [
    "PUT",
    "/api/v1/templates/hello",
    () => ({ interpreter: "sh", body: "echo hi" }),
    "templates.write",
  ],
  ["DELETE", "/api/v1/templates/nope", () => undefined, "templates.write"],
  ["GET", "/api/v1/templates/hello/versions", () => undefined, "jobs.read"],
  ["GET", "/api/v1/templates/hello/versions/1", () => undefined, "jobs.read"],
  ["GET", "/api/v1/jobs", () => undefined, "jobs.read"],
  ["POST", "/api/v1/jobs", () => ({ name: `j${n++}`, template: "hello" }), "jobs.write"],
  ["GET", "/api/v1/jobs/hi", () => undefined, "jobs.read"],
  ["PUT", "/api/v1/jobs/hi", () => ({ template: "hello" }), "jobs.write"],
  ["DELETE", "/api/v1/jobs/nope", () => undefined, "jobs.write"],
  ["POST", "/api/v1/jobs/hi/schedule/pause", () => ({ reason: "x" }), "jobs.write"],
  ["POST", "/api/v1/jobs/hi/schedule/resume", () => ({}), "jobs.write"],
  ["GET", "/api/v1/scheduling", () => undefined, "jobs.read"],
  ["POST", "/api/v1/scheduling/pause", () => ({}), "jobs.write"],
  ["POST", "/api/v1/scheduling/resume", () => ({}), "jobs.write"],
  ["POST", "/api/v1/jobs/hi/runs", () => ({ delaySeconds: 3600 }), "jobs.run"],
  ["GET", "/api/v1/jobs/hi/runs", () => undefined, "jobs.read"],
  ["GET", "/api/v1/runs", () => undefined, "jobs.read"],
  ["GET", "/api/v1/runs/:run", () => undefined, "jobs.read"],
  ["GET", "/api/v1/runs/:run/log", () => undefined, "jobs.read"],
  ["GET", "/api/v1/runs/:run/output", () => undefined, "jobs.read"],
  ["GET", "/api/v1/runs/:run/files/x", () => undefined, "jobs.read"],
  ["POST", "/api/v1/runs/:run/pause", () => ({}), "jobs.run"],
  ["POST", "/api/v1/runs/:run/resume", () => ({}), "jobs.run"],
  ["POST", "/api/v1/runs/:run/rerun", () => ({}), "jobs.run"],
  ["POST", "/api/v1/runs/:run/cancel", () => ({}), "jobs.run"],
  ["GET", "/jobs", () => undefined, "jobs.read"],
  ["GET", "/jobs/hi", () => undefined, "jobs.read"],
  ["GET", "/runs", () => undefined, "jobs.read"],
  ["GET", "/runs/:run", () => undefined, "jobs.read"],
  ["GET", "/templates", () => undefined, "jobs.read"],
  ["GET", "/templates/hello", () => undefined, "jobs.read"],
  ["POST", "/templates/hello", () => ({ interpreter: "sh", body: "echo hi" }), "templates.write"],
  ["POST", "/jobs/hi/run", () => ({}), "jobs.run"],
  ["POST", "/runs/:run/cancel", () => ({}), "jobs.run"],
];

const holders: Record<Permission | string, string[]> = {
  "jobs.read": [
    "owner",
    "admin",
    "deployer",
    "viewer",
    "owner-read",
    "owner-deploy",
    "owner-write",
  ],
  "jobs.run": ["owner", "admin", "deployer", "owner-deploy", "owner-write"],
  "jobs.write": ["owner", "admin", "owner-write"],
  "templates.write": ["owner", "admin"],
};

describe("every jobs route is behind its permission", () => {
  for (const [method, pattern, body, perm] of routes) {
    it(`${method} ${pattern} needs ${perm}`, async () => {
      for (const who of Object.keys(keys)) {
        const path = pattern.replace(":run", runId);
        const b = body();
        const ui = !path.startsWith("/api/");
        const headers: Record<string, string> = { authorization: `Bearer ${keys[who]}` };
        let payload: string | undefined;
        if (b !== undefined) {
          headers["content-type"] = ui ? "application/x-www-form-urlencoded" : "application/json";
          payload = ui
            ? new URLSearchParams(b as Record<string, string>).toString()
            : JSON.stringify(b);
          if (ui) headers.origin = "http://localhost:8080";
        }
        const res = await t.anon(path, { method, headers, body: payload });
        const label = `${who}: ${res.status}`;
        if (holders[perm]?.includes(who)) expect(res.status, label).not.toBe(403);
        else expect(res.status, label).toBe(403);
        expect(res.status, label).not.toBe(500);
      }
    });
  }
});
