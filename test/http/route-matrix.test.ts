/**
 * The authorization matrix, generated from the route inventory: every route the app
 * registers (API and UI) × every kind of credential. A route must carry a guard (or be
 * public), and each cell's status must be what `allows` decides, so a new route cannot
 * skip the check.
 */
import type { Context } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../src/domain/auth/permissions.ts";
import { allows } from "../../src/domain/auth/permissions.ts";
import { type GuardInfo, isPublic } from "../../src/http/middleware/access.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { principalOf } from "../../src/services/auth/principal.ts";
import { createSession } from "../../src/services/auth/sessions.ts";
import {
  createTestApp,
  makeZip,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";
import { inventory, type Route } from "../helpers/routes.ts";

type Credential = { name: string; headers: Record<string, string>; principal: Principal | null };

let t: TestApp;
const credentials: Credential[] = [];
const deploymentOf: Record<string, string> = {};

function user(
  email: string,
  role: "owner" | "admin" | "deployer" | "viewer",
  services: string[] | null,
) {
  return t.deps.repos.users.insert(t.deps.db, { email, passwordHash: "unused", role, services });
}

beforeAll(async () => {
  t = createTestApp();
  for (const name of ["a", "b"]) await t.json("/api/v1/services", "POST", { name });
  for (const name of ["a", "b"]) {
    const res = await uploadZip(t, name, "production", makeZip({ "index.html": name }));
    deploymentOf[name] = ((await res.json()) as { id: string }).id;
    await waitForDeployment(t, deploymentOf[name] as string);
  }

  const owner = t.deps.repos.users.byEmail("owner@example.com");
  if (!owner) throw new Error("no owner");
  const admin = user("admin@example.com", "admin", null);
  const limited = user("limited@example.com", "admin", ["a"]);
  const key = (u: typeof owner, scope: "read" | "deploy" | "admin", service: string | null) => {
    const made = createApiKey(t.deps, u, { name: "m", scope, service });
    return {
      headers: { authorization: `Bearer ${made.key}` },
      principal: principalOf(u, made.record),
    };
  };
  const session = (u: typeof owner) => ({
    headers: {
      cookie: `berth_session=${createSession(t.deps, u.id, null).token}`,
      "sec-fetch-site": "same-origin",
    },
    principal: principalOf(u),
  });
  credentials.push(
    { name: "anonymous", headers: {}, principal: null },
    { name: "read key", ...key(owner, "read", null) },
    { name: "deploy key limited to a", ...key(owner, "deploy", "a") },
    { name: "admin-scope key limited to a", ...key(owner, "admin", "a") },
    { name: "session of a user limited to a", ...session(limited) },
    { name: "admin session", ...session(admin) },
    { name: "owner session", ...session(owner) },
  );
});
afterAll(() => t.close());

/** A concrete path whose resource belongs to `service`: its name, or its deployment's id. */
function concrete(path: string, service: string): string {
  return path
    .replace(/:[a-zA-Z]+\{[^}]*\}/g, "1") // a parameter with its own pattern (digits)
    .replace(":service", service)
    .replace(":env", "production")
    .replace(/\/deployments\/:id/, `/deployments/${deploymentOf[service]}`)
    .replace(/:[a-zA-Z]+/g, "x");
}

/**
 * The service a route names for a concrete path, asked of the route's own resolver (as
 * its guard asks it): for ids of things that belong to a service, or to none ("").
 */
function serviceOfPath(guard: GuardInfo, pattern: string, path: string): string | undefined {
  if (!guard.serviceOf) return undefined;
  const names = pattern.split("/");
  const values = path.split("/");
  const params: Record<string, string> = {};
  names.forEach((n, i) => {
    if (n.startsWith(":")) params[n.slice(1).replace(/\{.*$/, "")] = values[i] ?? "";
  });
  const c = { req: { param: (k: string) => params[k] } } as unknown as Context;
  return guard.serviceOf(c);
}

/** Berth's pages (and the API reference) as a browser asks for them. */
const page = (path: string) => !path.startsWith("/api/") || path === "/api/docs";

/** Routes whose guard names a service: once for a (the limited credentials' own) and once for b. */
const servicesOf = (r: Route) =>
  r.guard?.perService && (r.path.includes(":service") || r.path.includes("/deployments/:id"))
    ? ["a", "b"]
    : [undefined];

describe("route inventory", () => {
  it("every route that is not public carries a guard", () => {
    const unguarded = inventory(t.app)
      .filter((r) => !r.guard && !isPublic(concrete(r.path, "a")))
      .map((r) => `${r.method} ${r.path}`);
    expect(unguarded).toEqual([]);
  });

  it("covers the whole app", () => {
    expect(inventory(t.app).length).toBeGreaterThan(60);
  });
});

describe("authorization matrix: every route × every credential", () => {
  it("answers each cell as the one authorization function decides", async () => {
    const failures: string[] = [];
    const routes = inventory(t.app).filter((r) => r.guard && !isPublic(concrete(r.path, "a")));
    // state-changing routes last, deletions at the very end: earlier cells see the fixtures
    const order = (r: Route) =>
      r.method === "GET" ? 0 : r.method === "DELETE" || r.path.endsWith("/delete") ? 2 : 1;
    routes.sort((x, y) => order(x) - order(y));
    for (const route of routes) {
      const guard = route.guard as GuardInfo;
      for (const service of servicesOf(route)) {
        const path = concrete(route.path, service ?? "a");
        for (const cred of credentials) {
          const res = await t.anon(path, {
            method: route.method,
            headers: {
              ...cred.headers,
              accept: page(path) ? "text/html" : "application/json",
            },
          });
          const status = res.status;
          await res.body?.cancel();
          let ok: boolean;
          let want: string;
          if (!cred.principal) {
            // a browser is sent to sign in; an API client is told 401
            const redirect = page(path);
            want = redirect ? "302 to /login" : "401";
            ok = redirect ? status === 302 : status === 401;
          } else if (
            allows(cred.principal, guard.policy, service ?? serviceOfPath(guard, route.path, path))
          ) {
            want = "allowed (not 401/403)";
            ok = status !== 401 && status !== 403;
          } else {
            want = "403";
            ok = status === 403;
          }
          if (!ok)
            failures.push(`${route.method} ${path} as ${cred.name}: ${status}, want ${want}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
