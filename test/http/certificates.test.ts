import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { startCertificateScheduler } from "../../src/services/edge/certificate-scheduler.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

// Issuance itself runs against Pebble and nginx in test/integration/certificates.test.ts;
// here: what the retry endpoint answers before any ACME traffic.

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "site" });
  await t.json("/api/v1/services/site/environments/production/domains", "POST", {
    hostname: "shop.example.com",
  });
});
afterEach(() => t.close());

const retry = (hostname: string, key?: string) =>
  (key ? t.anon : t.request)(
    `/api/v1/services/site/environments/production/domains/${hostname}/certificate`,
    { method: "POST", headers: key ? { authorization: `Bearer ${key}` } : {} },
  );
type ErrorJson = { error: { code: string; message: string } };

describe("POST .../domains/{hostname}/certificate", () => {
  it("is refused with 409 while sites are served without nginx", async () => {
    const res = await retry("shop.example.com");
    expect(res.status).toBe(409);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe("edge_not_nginx");
    expect(body.error.message).toMatch(/BERTH_EDGE=nginx/);
    expect(t.deps.repos.domains.byHostname("shop.example.com")?.certStatus).toBe("none");
  });

  it("answers 404 for a domain the environment does not have", async () => {
    const res = await retry("other.example.com");
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorJson).error.code).toBe("domain_not_found");
    const noEnv = await t.request(
      "/api/v1/services/site/environments/nope/domains/shop.example.com/certificate",
      { method: "POST" },
    );
    expect(noEnv.status).toBe(404);
  });

  it("needs services.write", async () => {
    const owner = t.deps.repos.users.byEmail("owner@example.com");
    if (!owner) throw new Error("no owner");
    const read = createApiKey(t.deps, owner, { name: "r", scope: "read" }).key;
    expect((await retry("shop.example.com", read)).status).toBe(403);
    expect(
      (
        await t.anon(
          "/api/v1/services/site/environments/production/domains/shop.example.com/certificate",
          { method: "POST" },
        )
      ).status,
    ).toBe(401);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await t.request("/api/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const p = doc.paths["/services/{service}/environments/{env}/domains/{hostname}/certificate"];
    expect(p?.post).toBeDefined();
  });
});

describe("startCertificateScheduler", () => {
  it("does nothing without nginx", async () => {
    const stop = startCertificateScheduler(t.deps, { intervalMs: 1 });
    await stop();
    expect(t.deps.repos.domains.byHostname("shop.example.com")?.certStatus).toBe("none");
  });
});
