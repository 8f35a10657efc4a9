import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getEnvironment } from "../../src/services/releases/catalog.ts";
import { setHealthCheck } from "../../src/services/releases/health.ts";
import {
  createTestApp,
  makeZip,
  site,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "site" });
});
afterEach(() => t.close());

type D = { id: string; status: string; failure: { stage: string; code: string } | null };
const env = () => getEnvironment(t.deps, "site", "production").environment;

async function deploy(files: Record<string, string>) {
  const res = await uploadZip(t, "site", "production", makeZip(files));
  const { id } = (await res.json()) as { id: string };
  await waitForDeployment(t, id);
  await t.deps.queue.idle();
  return (await (await t.request(`/api/v1/deployments/${id}`)).json()) as D;
}

describe("health checks after activation", () => {
  it("keeps a healthy release live", async () => {
    setHealthCheck(t.deps, env(), { path: "/health.txt", status: 200, keyword: "ok", retries: 0 });
    const d = await deploy({ "index.html": "v1", "health.txt": "all ok" });
    expect(d.status).toBe("live");
    const log = (await (await t.request(`/api/v1/deployments/${d.id}/log`)).json()) as {
      lines: { step: string; message: string }[];
    };
    expect(log.lines.some((l) => l.step === "health" && l.message.startsWith("Healthy"))).toBe(
      true,
    );
  });

  it("fails an unhealthy release at stage health and serves the last good release again", async () => {
    setHealthCheck(t.deps, env(), { path: "/health.txt", status: 200, keyword: "ok", retries: 1 });
    const good = await deploy({ "index.html": "v1", "health.txt": "ok" });
    const bad = await deploy({ "index.html": "v2 broken" });
    expect(bad.status).toBe("failed");
    expect(bad.failure).toMatchObject({ stage: "health", code: "health_check_failed" });
    expect((await site(t, "production--site.localhost")).body).toBe("v1");
    const envJson = (await (
      await t.request("/api/v1/services/site/environments/production")
    ).json()) as { live: { id: string } };
    expect(envJson.live.id).toBe(good.id);
    const log = (await (await t.request(`/api/v1/deployments/${bad.id}/log`)).json()) as {
      lines: { step: string; message: string }[];
    };
    const text = log.lines.map((l) => `${l.step}: ${l.message}`).join("\n");
    expect(text).toContain("Health check 1/2");
    expect(text).toContain(`Rolled back: ${good.id} is live again.`);
    // a failed deployment is never a rollback target
    const rb = await t.json("/api/v1/services/site/environments/production/rollback", "POST", {
      deploymentId: bad.id,
    });
    expect(rb.status).toBe(409);
  });

  it("a keyword missing from the body fails the check", async () => {
    setHealthCheck(t.deps, env(), { path: "/", status: 200, keyword: "Welcome", retries: 0 });
    const d = await deploy({ "index.html": "Goodbye" });
    expect(d.status).toBe("failed");
    expect((await site(t, "production--site.localhost")).status).toBe(404);
  });

  it("refuses bad settings", () => {
    expect(() => setHealthCheck(t.deps, env(), { path: "health" })).toThrow(/start with \//);
    expect(() => setHealthCheck(t.deps, env(), { path: "/h", status: 42 })).toThrow(/HTTP status/);
    expect(() => setHealthCheck(t.deps, env(), { path: "/h", retries: 99 })).toThrow(/Retries/);
    expect(env().healthPath).toBeNull();
  });
});
