import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeKube, startFakeKube } from "../fakes/kubernetes/index.ts";
import { freePort, type RunningServer, startServer } from "../helpers/server.ts";

/**
 * Containers end to end: the real Berth server process, talking through the real
 * @kubernetes/client-node to the fake API server, which closes watch streams at random.
 */
let fake: FakeKube;
let server: RunningServer;
let dataDir: string;
const SECRET = "postgres://app:hunter2-secret@db/app";

const send = (method: string, p: string, body?: unknown) =>
  server.api(p, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

type Line = { message: string; level: string; step: string };
async function finished(id: string, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const res = await server.api(`/deployments/${id}/log`);
    const body = (await res.json()) as { status: string; lines: Line[] };
    if (["live", "failed", "interrupted"].includes(body.status)) return body;
    if (Date.now() > end)
      throw new Error(
        `deployment ${id} still ${body.status}: ${JSON.stringify(body.lines.slice(-5))}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function deploy(image?: string) {
  const res = await send(
    "POST",
    "/services/api/environments/production/deployments",
    image ? { image } : {},
  );
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

const deploymentOf = () => fake.cluster.store.get("deployments", "berth", "api-production");

beforeAll(async () => {
  fake = await startFakeKube({ token: "fake-token", disconnectMeanMs: 400, bookmarkMs: 200 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-k8s-"));
  server = await startServer(dataDir);
  const put = await send("PUT", "/settings/kubernetes", {
    kubeconfig: fake.kubeconfig(),
    namespace: "berth",
    failWindowSeconds: 1,
  });
  expect(put.status).toBe(200);
  expect(JSON.stringify(await put.json())).not.toContain("fake-token");
  expect((await send("POST", "/services", { name: "api", kind: "container" })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await fake?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("containers on Kubernetes", () => {
  it("checks the cluster: version and access", async () => {
    const res = await send("POST", "/settings/kubernetes/check");
    const body = (await res.json()) as { version: string; ok: boolean; missing: string[] };
    expect(body.version).toMatch(/^v1\./);
    expect(body.ok).toBe(true);
  });

  it("refuses bad specs with a 422 naming the field, applying nothing", async () => {
    const cases: [unknown, string][] = [
      [{ image: "Not An Image" }, "image"],
      [{ image: "app:1", port: 70000 }, "port"],
      [{ image: "app:1", env: { "1BAD": "x" } }, "env.1BAD"],
      [{ image: "app:1", resources: { limits: { memory: "1.5Gx" } } }, "resources.limits.memory"],
      [{ image: "app:1", readinessProbe: { periodSeconds: 3 } }, "readinessProbe"],
    ];
    for (const [body, field] of cases) {
      const res = await send("PUT", "/services/api/environments/production/container", body);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    }
    const deployBad = await send("POST", "/services/api/environments/production/deployments", {
      image: "UPPER CASE",
    });
    expect(deployBad.status).toBe(422);
    expect(fake.cluster.store.list("deployments")).toHaveLength(0);
  });

  it("rolls a good image out to live, secrets only in the Secret", async () => {
    const put = await send("PUT", "/services/api/environments/production/container", {
      image: "example.com/api:1",
      port: 8080,
      replicas: 2,
      env: { MODE: "production" },
      secretEnv: { DATABASE_URL: SECRET },
      resources: { requests: { cpu: "100m", memory: "128Mi" } },
      readinessProbe: { httpGet: { path: "/healthz" } },
    });
    expect(put.status).toBe(200);
    expect(JSON.stringify(await put.json())).not.toContain("hunter2");
    const id = await deploy();
    const log = await finished(id);
    expect(log.status).toBe("live");
    const text = log.lines.map((l) => l.message).join("\n");
    expect(text).toContain("Started");
    expect(text).toMatch(/is ready/);
    expect(text).toContain("successfully rolled out");
    expect(text).not.toContain("hunter2");
    const d = deploymentOf();
    expect(JSON.stringify(d)).not.toContain("hunter2");
    expect(d.metadata.labels["app.kubernetes.io/managed-by"]).toBe("berth");
    const secretName = d.spec.template.spec.containers[0].envFrom[0].secretRef.name;
    expect(secretName).toMatch(/^api-production-env-[0-9a-f]{10}$/);
    const secret = fake.cluster.store.get("secrets", "berth", secretName);
    expect(Buffer.from(secret.data.DATABASE_URL, "base64").toString()).toBe(SECRET);
    expect(fake.cluster.store.get("ingresses", "berth", "api-production").spec.rules[0].host).toBe(
      "production--api.localhost",
    );
  });

  it("fails a crash-looping image fast, shows why, and re-applies the last good snapshot", async () => {
    const good = deploymentOf().metadata.annotations["berth.dev/deployment"];
    const id = await deploy("example.com/api:crash");
    const log = await finished(id);
    expect(log.status).toBe("failed");
    const text = log.lines.map((l) => l.message).join("\n");
    expect(text).toContain("CrashLoopBackOff: the container exit code 1 (Error)");
    expect(text).toContain("fatal: DATABASE_URL is not set");
    expect(text).toContain(`Re-applying the last good deployment ${good}`);
    expect(text).toContain(`Healthy again on ${good}`);
    expect(deploymentOf().metadata.annotations["berth.dev/deployment"]).toBe(good);
    const row = (await (await server.api(`/deployments/${id}`)).json()) as {
      failure: { stage: string; code: string };
    };
    expect(row.failure).toMatchObject({ stage: "rollout", code: "crash_loop" });
    expect((row as unknown as { container: { image: string } }).container.image).toBe(
      "example.com/api:crash",
    );
  });

  it("reports an image pull error with the registry's message", async () => {
    const id = await deploy("example.com/nosuch:1");
    const log = await finished(id);
    expect(log.status).toBe("failed");
    expect(log.lines.map((l) => l.message).join("\n")).toMatch(
      /ErrImagePull: rpc error: .*not found/,
    );
  });

  it("operates the environment: pods, scale, stop/start, restart, logs, usage", async () => {
    const logs = (await (
      await send("GET", "/services/api/environments/production/logs?tail=100")
    ).json()) as { items: { pod: string; line: string }[] };
    expect(
      logs.items.some((l) => l.line.includes("listening on :8080")),
      JSON.stringify(logs).slice(0, 2000),
    ).toBe(true);
    const pods = (await (
      await send("GET", "/services/api/environments/production/pods")
    ).json()) as { items: { ready: boolean }[] };
    expect(pods.items.length).toBeGreaterThan(0);
    expect(
      (await send("PUT", "/services/api/environments/production/scale", { replicas: 3 })).status,
    ).toBe(200);
    expect(deploymentOf().spec.replicas).toBe(3);
    expect((await send("POST", "/services/api/environments/production/stop")).status).toBe(200);
    expect(deploymentOf().spec.replicas).toBe(0);
    expect((await send("POST", "/services/api/environments/production/start")).status).toBe(200);
    expect(deploymentOf().spec.replicas).toBe(3);
    expect((await send("POST", "/services/api/environments/production/restart")).status).toBe(200);
    expect(
      deploymentOf().spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"],
    ).toBeTruthy();
    const used = (await (
      await send("GET", "/services/api/environments/production/usage")
    ).json()) as { available: boolean };
    expect(used.available, JSON.stringify(used)).toBe(true);
  });

  it("gives 502 cluster_unreachable and records nothing when the cluster does not answer", async () => {
    const before = (await (
      await send("GET", "/services/api/environments/production/deployments")
    ).json()) as { items: unknown[] };
    const dead = fake.kubeconfig().replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${await freePort()}`);
    expect(
      (await send("PUT", "/settings/kubernetes", { kubeconfig: dead, failWindowSeconds: 1 }))
        .status,
    ).toBe(200);
    const res = await send("POST", "/services/api/environments/production/deployments", {});
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "cluster_unreachable",
    );
    const after = (await (
      await send("GET", "/services/api/environments/production/deployments")
    ).json()) as { items: unknown[] };
    expect(after.items.length).toBe(before.items.length);
    expect(
      (
        await send("PUT", "/settings/kubernetes", {
          kubeconfig: fake.kubeconfig(),
          failWindowSeconds: 1,
        })
      ).status,
    ).toBe(200);
  });

  it("resumes following a rollout after a restart", async () => {
    fake.cluster.opts.stageMs = 400;
    try {
      const id = await deploy("example.com/api:2");
      await server.kill9();
      server = await startServer(dataDir);
      const log = await finished(id);
      expect(log.status).toBe("live");
      expect(log.lines.map((l) => l.message).join("\n")).toContain("following the rollout again");
    } finally {
      fake.cluster.opts.stageMs = 40;
    }
  });

  it("rolls back to the earlier snapshot pinned to its digest", async () => {
    const res = await send("POST", "/services/api/environments/production/rollback", {});
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    const id = ((await res.json()) as { id: string }).id;
    expect((await finished(id)).status).toBe("live");
    expect(deploymentOf().spec.template.spec.containers[0].image).toMatch(
      /^example\.com\/api@sha256:[0-9a-f]{64}$/,
    );
  });

  it("follows pod logs as Server-Sent Events, each line labelled with its pod", async () => {
    const res = await server.api("/services/api/environments/production/logs?tail=1", {
      headers: { accept: "text/event-stream" },
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const end = Date.now() + 10_000;
    // a serving pod writes a health-check line about every second
    while (!text.includes("GET /healthz") && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    await reader.cancel();
    expect(text).toMatch(/"pod":"api-production-[0-9a-f]+-[0-9a-f]+","line":"GET \/healthz 200/);
  });

  it("deletes the environment's objects with the environment", async () => {
    const res = await send("DELETE", "/services/api/environments/production").catch((err) => {
      throw new Error(`${err}\n${server.output().slice(-3000)}`);
    });
    expect(res.status).toBeLessThan(300);
    expect(deploymentOf()).toBeUndefined();
    expect(fake.cluster.store.list("secrets", "berth")).toHaveLength(0);
    expect(fake.cluster.store.get("ingresses", "berth", "api-production")).toBeUndefined();
  });

  it("never leaks the secret into the server's output", () => {
    expect(server.output()).not.toContain("hunter2");
  });
});
