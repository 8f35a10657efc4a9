import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDb } from "../../src/db/client.ts";
import { createLogger } from "../../src/log.ts";
import { createDeps } from "../../src/services/core/deps.ts";
import { createLayout } from "../../src/services/core/layout.ts";
import { getEnvironment } from "../../src/services/releases/catalog.ts";
import { setHealthCheck } from "../../src/services/releases/health.ts";
import { makeZip, testLimits } from "../helpers/app.ts";
import { type PrivateNginx, startNginx } from "../helpers/nginx.ts";
import { fetchSite, type RunningServer, startServer } from "../helpers/server.ts";

// Health checks through the real server process, with the probe main.ts builds: the check
// must reach the site (not Berth's own pages, which answer / with a redirect to /login).

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

/** Sets the production health check in the server's own SQLite file, as the form would. */
function healthCheck(dataDir: string, p: string) {
  const layout = createLayout(dataDir);
  const db = openDb(layout.dbFile);
  try {
    const deps = createDeps({
      db,
      layout,
      limits: testLimits,
      defaultRetention: 10,
      logger: createLogger("silent"),
    });
    const env = getEnvironment(deps, "site", "production").environment;
    setHealthCheck(deps, env, { path: p, status: 200, keyword: "hello", retries: 0 });
  } finally {
    db.$client.close();
  }
}

async function deploy(s: RunningServer, files: Record<string, string>) {
  const res = await s.api("/services/site/environments/production/deployments", {
    method: "POST",
    headers: { "content-type": "application/zip" },
    body: new Uint8Array(makeZip(files)),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  for (let i = 0; i < 800; i++) {
    const d = (await (await s.api(`/deployments/${id}`)).json()) as {
      status: string;
      failure: { stage: string } | null;
    };
    if (["live", "failed", "superseded"].includes(d.status)) return { id, ...d };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("deployment never finished");
}

async function scenario(
  s: RunningServer,
  dataDir: string,
  get: (p: string) => Promise<string>,
  ready: () => Promise<void> = async () => {},
) {
  const created = await s.api("/services", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "site" }),
  });
  expect(created.status).toBe(201);
  await ready();
  healthCheck(dataDir, "/");
  // a check of / on a site with index.html: Berth itself would answer 302 to /login
  const good = await deploy(s, { "index.html": "hello v1" });
  const goodLog = (await (await s.api(`/deployments/${good.id}/log`)).json()) as {
    lines: { message: string }[];
  };
  expect(good.status, goodLog.lines.map((l) => l.message).join("\n")).toBe("live");
  expect(await get("/")).toBe("hello v1");
  // a check of a path the site does not have: Berth itself would answer /healthz with 200
  healthCheck(dataDir, "/healthz");
  const bad = await deploy(s, { "index.html": "hello v2" });
  expect(bad.status).toBe("failed");
  expect(bad.failure?.stage).toBe("health");
  const log = (await (await s.api(`/deployments/${bad.id}/log`)).json()) as {
    lines: { message: string }[];
  };
  expect(log.lines.map((l) => l.message).join("\n")).toContain("GET /healthz answered 404");
  expect(await get("/")).toBe("hello v1");
}

describe("health checks through the real server", () => {
  it("embedded: a passing check goes live, a 404 path rolls back", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-health-"));
    const s = await startServer(dir);
    cleanup.push(
      () => fs.rmSync(dir, { recursive: true, force: true }),
      () => s.stop(),
    );
    await scenario(s, dir, async (p) => (await fetchSite(s, "production--site.localhost", p)).body);
  });

  it("nginx: a passing check goes live, a 404 path rolls back", async () => {
    const ngx: PrivateNginx = await startNginx();
    cleanup.push(() => ngx.stop());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-health-ngx-"));
    fs.chmodSync(dir, 0o755); // nginx workers run as nobody
    const edge = ngx.edgeConfig().nginx;
    const [bin, ...args] = edge.command;
    const s = await startServer(dir, {
      BERTH_EDGE: "nginx",
      BERTH_NGINX_BIN: bin as string,
      BERTH_NGINX_ARGS: args.join(" "),
      BERTH_NGINX_SITES_AVAILABLE: edge.sitesAvailable,
      BERTH_NGINX_SITES_ENABLED: edge.sitesEnabled,
      BERTH_NGINX_LISTEN: edge.listen,
      BERTH_NGINX_LISTEN_TLS: edge.listenTls,
    });
    cleanup.push(
      () => fs.rmSync(dir, { recursive: true, force: true }),
      () => s.stop(),
    );
    await scenario(
      s,
      dir,
      async (p) => (await ngx.request("production--site.localhost", p)).body,
      // the new vhost answers once nginx's old workers are gone: a busy machine keeps
      // them a while, so wait until every worker a request may reach has the vhost
      async () => {
        let inARow = 0;
        for (let i = 0; i < 400; i++) {
          const res = await ngx.request("production--site.localhost", "/");
          inARow = res.headers["x-berth-generation"] !== undefined ? inARow + 1 : 0;
          if (inARow >= 10) return;
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error("nginx never served the new vhost");
      },
    );
  });
});
