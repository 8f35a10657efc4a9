import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createTestApp,
  makeZip,
  site,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(() => t.close());

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

describe("services", () => {
  it("creates a service with production by default and shows it", async () => {
    const res = await t.json("/api/v1/services", "POST", { name: "site" });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      name: string;
      environments: { name: string; url: string; live: null }[];
    };
    expect(body.name).toBe("site");
    expect(body.environments.map((e) => e.name)).toEqual(["production"]);
    expect(body.environments[0]?.url).toBe("http://production--site.localhost:8080");
    const list = (await (await t.request("/api/v1/services")).json()) as {
      items: { name: string }[];
    };
    expect(list.items.map((s) => s.name)).toEqual(["site"]);
    expect((await t.request("/api/v1/services/site")).status).toBe(200);
  });

  it("creates the named initial environments", async () => {
    const res = await t.json("/api/v1/services", "POST", {
      name: "docs",
      environments: ["staging", "production"],
    });
    const body = (await res.json()) as { environments: { name: string }[] };
    expect(body.environments.map((e) => e.name)).toEqual(["staging", "production"]);
  });

  it.each([
    ["Site", "invalid_service_name"],
    ["-site", "invalid_service_name"],
    ["site-", "invalid_service_name"],
    ["my--site", "invalid_service_name"],
    ["1site", "invalid_service_name"],
    ["a".repeat(31), "invalid_service_name"],
    ["", "invalid_service_name"],
  ])("refuses the name %j with 422 %s and writes nothing", async (name, code) => {
    const res = await t.json("/api/v1/services", "POST", { name });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe(code);
    const list = (await (await t.request("/api/v1/services")).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it("refuses an invalid environment name and creates no service", async () => {
    const res = await t.json("/api/v1/services", "POST", {
      name: "site",
      environments: ["prod", "Bad"],
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe("invalid_environment_name");
    expect((await t.request("/api/v1/services/site")).status).toBe(404);
  });

  it("refuses a duplicate service with 409", async () => {
    await t.json("/api/v1/services", "POST", { name: "site" });
    const res = await t.json("/api/v1/services", "POST", { name: "site" });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("service_exists");
  });

  it("answers malformed JSON and wrong types with 400", async () => {
    const res = await t.request("/api/v1/services", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(400);
    const res2 = await t.json("/api/v1/services", "POST", { name: 42 });
    expect(res2.status).toBe(400);
    expect((await errorOf(res2)).code).toBe("invalid_request");
  });

  it("404s an unknown service", async () => {
    const res = await t.request("/api/v1/services/nope");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("service_not_found");
  });

  it("deletes a service with its files", async () => {
    await t.json("/api/v1/services", "POST", { name: "site" });
    const up = await uploadZip(t, "site", "production", makeZip({ "index.html": "hi" }));
    const { id } = (await up.json()) as { id: string };
    await waitForDeployment(t, id);
    expect((await site(t, "production--site.localhost")).body).toBe("hi");
    const del = await t.request("/api/v1/services/site", { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await t.request("/api/v1/services/site")).status).toBe(404);
    expect((await site(t, "production--site.localhost")).status).toBe(404);
    const fs = await import("node:fs");
    expect(fs.existsSync(t.deps.layout.serviceDir("site"))).toBe(false);
  });
});

describe("environments", () => {
  beforeEach(async () => {
    await t.json("/api/v1/services", "POST", { name: "site" });
  });

  it("creates, lists, shows, updates and deletes", async () => {
    const res = await t.json("/api/v1/services/site/environments", "POST", {
      name: "staging",
      retention: 3,
    });
    expect(res.status).toBe(201);
    const env = (await res.json()) as { name: string; retention: number; url: string };
    expect(env).toMatchObject({
      name: "staging",
      retention: 3,
      url: "http://staging--site.localhost:8080",
    });
    const list = (await (await t.request("/api/v1/services/site/environments")).json()) as {
      items: { name: string }[];
    };
    expect(list.items.map((e) => e.name)).toEqual(["production", "staging"]);
    const patched = await t.json("/api/v1/services/site/environments/staging", "PATCH", {
      spaFallback: true,
    });
    expect(((await patched.json()) as { spaFallback: boolean }).spaFallback).toBe(true);
    expect(
      (await t.request("/api/v1/services/site/environments/staging", { method: "DELETE" })).status,
    ).toBe(204);
    expect((await t.request("/api/v1/services/site/environments/staging")).status).toBe(404);
  });

  it("refuses a duplicate, a bad name and a bad retention", async () => {
    const dup = await t.json("/api/v1/services/site/environments", "POST", { name: "production" });
    expect(dup.status).toBe(409);
    expect((await errorOf(dup)).code).toBe("environment_exists");
    const bad = await t.json("/api/v1/services/site/environments", "POST", { name: "Prod" });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).code).toBe("invalid_environment_name");
    const ret = await t.json("/api/v1/services/site/environments", "POST", {
      name: "qa",
      retention: 0,
    });
    expect(ret.status).toBe(422);
    expect((await errorOf(ret)).code).toBe("invalid_retention");
    expect((await t.request("/api/v1/services/site/environments/qa")).status).toBe(404);
  });

  it("404s an unknown environment and a service that does not exist", async () => {
    const res = await t.request("/api/v1/services/site/environments/nope");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("environment_not_found");
    const res2 = await t.json("/api/v1/services/ghost/environments", "POST", { name: "x" });
    expect(res2.status).toBe(404);
  });
});

describe("api surface", () => {
  it("serves /healthz and an OpenAPI 3.1 document listing the routes", async () => {
    expect(await (await t.request("/healthz")).json()).toEqual({ status: "ok" });
    const doc = (await (await t.request("/api/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/services",
        "/services/{service}",
        "/services/{service}/environments/{env}/deployments",
        "/services/{service}/environments/{env}/rollback",
        "/deployments/{id}/log",
      ]),
    );
    const docs = await t.request("/api/docs");
    expect(await docs.text()).toContain("/assets/swagger-ui-bundle.js");
    expect((await t.request("/assets/swagger-ui-bundle.js")).status).toBe(200);
  });

  it("answers unknown API routes with a JSON 404", async () => {
    const res = await t.request("/api/v1/nothing");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });
});
