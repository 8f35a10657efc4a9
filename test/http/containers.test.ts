import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { type FakeKube, startFakeKube } from "../fakes/kubernetes/index.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

/** The container API and UI in process, against the fake cluster; permissions and forms. */
let t: TestApp;
let fake: FakeKube;
let viewerKey: string;
const base = "/api/v1/services/web/environments/production";

beforeAll(async () => {
  fake = await startFakeKube({ deny: ["delete secrets"], metrics: false });
  t = createTestApp();
  expect(
    (
      await t.json("/api/v1/settings/kubernetes", "PUT", {
        kubeconfig: fake.kubeconfig(),
        failWindowSeconds: 1,
      })
    ).status,
  ).toBe(200);
  expect(
    (await t.json("/api/v1/services", "POST", { name: "web", kind: "container" })).status,
  ).toBe(201);
  const viewer = t.deps.repos.users.insert(t.deps.db, {
    email: "v@example.com",
    passwordHash: "x",
    role: "viewer",
    services: null,
  });
  viewerKey = createApiKey(t.deps, viewer, { name: "v", scope: "read" }).key;
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

describe("container API and UI", () => {
  it("keeps the kubeconfig to itself and names verbs the credentials lack", async () => {
    const got = await (await t.request("/api/v1/settings/kubernetes")).text();
    expect(got).not.toContain("server:");
    expect(JSON.parse(got)).toMatchObject({
      configured: true,
      kubeconfigSet: true,
      namespace: "berth",
    });
    const check = (await (await t.json("/api/v1/settings/kubernetes/check", "POST")).json()) as {
      ok: boolean;
      missing: string[];
    };
    expect(check.ok).toBe(false);
    expect(check.missing).toEqual(["delete secrets"]);
  });

  it("shows Settings → Kubernetes without the kubeconfig, errors beside the field", async () => {
    const page = await (await t.request("/settings/kubernetes")).text();
    expect(page).toContain("A kubeconfig is saved");
    expect(page).not.toContain(fake.url);
    const bad = await t.request("/settings/kubernetes", {
      method: "POST",
      body: new URLSearchParams({ namespace: "Not_A_Label", failWindowSeconds: "60" }),
      headers: { "hx-request": "true" },
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/id="namespace-error"[^>]*>namespace: must be a DNS label/);
  });

  it("refuses a kubeconfig that names no cluster, naming the field", async () => {
    const res = await t.json("/api/v1/settings/kubernetes", "PUT", {
      kubeconfig: "apiVersion: v1\nkind: Config\n",
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe("kubeconfig");
  });

  it("stores secret values encrypted and answers only their names", async () => {
    const res = await t.json(`${base}/container`, "PUT", {
      image: "nginx:1.27",
      port: 80,
      secretEnv: { API_TOKEN: "tok-123456" },
    });
    expect(res.status).toBe(200);
    const spec = (await (await t.request(`${base}/container`)).json()) as { secretEnv: string[] };
    expect(spec.secretEnv).toEqual(["API_TOKEN"]);
    const row = t.deps.repos.containers.spec(1);
    expect(row?.secretEnv).toMatch(/^v1:/);
    expect(JSON.stringify(row)).not.toContain("tok-123456");
  });

  it("lets viewers read but not deploy or scale", async () => {
    const as = (p: string, init: RequestInit = {}) =>
      t.anon(p, {
        ...init,
        headers: { authorization: `Bearer ${viewerKey}`, "content-type": "application/json" },
      });
    expect((await as(`${base}/deployments`, { method: "POST", body: "{}" })).status).toBe(403);
    expect((await as(`${base}/scale`, { method: "PUT", body: '{"replicas":2}' })).status).toBe(403);
    expect((await as(`${base}/restart`, { method: "POST" })).status).toBe(403);
    expect((await as(`${base}/pods`)).status).toBe(200);
  });

  it("fails an OOM-killed container with its exit code, even with nothing good to go back to", async () => {
    const res = await t.json(`${base}/deployments`, "POST", { image: "example.com/oom:1" });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    let log = { status: "", lines: [] as { message: string }[] };
    for (let i = 0; i < 200 && !["live", "failed"].includes(log.status); i++) {
      await new Promise((r) => setTimeout(r, 50));
      log = (await (await t.request(`/api/v1/deployments/${id}/log`)).json()) as typeof log;
    }
    expect(log.status).toBe("failed");
    const text = log.lines.map((l) => l.message).join("\n");
    expect(text).toContain("OOMKilled: exit code 137");
    expect(text).toContain("There is no earlier good deployment to go back to.");
    expect(text).not.toContain("tok-123456");
  });

  it("says when metrics-server is missing", async () => {
    const usage = (await (await t.request(`${base}/usage`)).json()) as {
      available: boolean;
      message: string;
    };
    expect(usage).toMatchObject({ available: false, message: "metrics-server is not installed" });
  });

  it("serves the container page, with errors beside the form fields", async () => {
    const env = await t.request("/services/web/environments/production");
    expect(env.status).toBe(303);
    expect(env.headers.get("location")).toBe("/services/web/environments/production/container");
    const page = await (await t.request("/services/web/environments/production/container")).text();
    expect(page).toContain('name="image"');
    expect(page).toContain("API_TOKEN");
    expect(page).not.toContain("tok-123456");
    const form = new URLSearchParams({
      image: "nginx:1.27",
      port: "80",
      replicas: "1",
      memoryLimit: "1.5Gx",
    });
    const bad = await t.request("/services/web/environments/production/container", {
      method: "POST",
      body: form,
      headers: { "hx-request": "true" },
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(
      /id="memoryLimit-error"[^>]*>resources\.limits\.memory: &quot;1\.5Gx&quot; is not a Kubernetes quantity/,
    );
    const pods = await t.request("/services/web/environments/production/container/pods", {
      headers: { "hx-request": "true" },
    });
    expect(await pods.text()).toContain("<code>web-production-");
  });
});
