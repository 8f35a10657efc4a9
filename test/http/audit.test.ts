import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneAudit } from "../../src/services/auth/audit.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeAll(() => {
  t = createTestApp();
});
afterAll(() => t.close());

const rows = () => t.deps.repos.audit.list({ limit: 1000 });

describe("the audit trail stays bounded", () => {
  it("answers hooks of unknown services 404 without a row, and caps every stored field", async () => {
    const before = rows().length;
    const long = "x".repeat(15_000);
    for (const provider of ["github", "gitlab"]) {
      const res = await t.anon(`/hooks/${provider}/${long}`, { method: "POST", body: "{}" });
      expect(res.status).toBe(404);
    }
    expect(rows().length).toBe(before);
    // a known route with a long path: recorded, clipped
    const res = await t.request(`/api/v1/services/${long}`, { method: "DELETE" });
    expect(res.status).toBe(404);
    const [row] = rows();
    expect(row?.result).toBe("failed");
    for (const field of [row?.action, row?.target, row?.request, row?.actor])
      expect((field ?? "").length).toBeLessThanOrEqual(300);
  });

  it("names each change readably, with the resource it touched", async () => {
    await t.json("/api/v1/services", "POST", { name: "shop" });
    await t.json("/api/v1/services/shop/environments", "POST", { name: "staging" });
    await t.request("/api/v1/services/shop/environments/staging", { method: "DELETE" });
    const [del, env, svc] = rows();
    expect(svc).toMatchObject({ action: "service.create", target: "shop" });
    expect(env).toMatchObject({ action: "environment.create", target: "shop/staging" });
    expect(del).toMatchObject({ action: "environment.delete", target: "shop/staging" });
    const page = await (await t.request("/audit")).text();
    expect(page).toContain("service.create");
    expect(page).toContain("shop/staging");
  });

  it("keeps events for the retention period; pruning is the only way rows leave", () => {
    const now = Date.now();
    const day = 24 * 60 * 60 * 1000;
    t.deps.repos.audit.append({
      at: now - 400 * day,
      actorKind: "system",
      actorId: null,
      actor: "old",
      action: "service.create",
      target: "ancient",
      request: null,
      result: "ok",
      status: 201,
      ip: null,
    });
    const count = rows().length;
    expect(pruneAudit(t.deps, 365, now)).toBe(1);
    expect(rows().length).toBe(count - 1);
    expect(rows().some((r) => r.target === "ancient")).toBe(false);
  });
});
