import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import AdmZip from "adm-zip";
import type { DnsLookup } from "../../src/adapters/dns/lookup.ts";
import type { EdgeConfig, Limits } from "../../src/config.ts";
import { openDb } from "../../src/db/client.ts";
import { createApp } from "../../src/http/app.ts";
import { createUrls } from "../../src/http/present.ts";
import { createLogger } from "../../src/log.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { hashPassword } from "../../src/services/auth/passwords.ts";
import { createSetup, type Setup } from "../../src/services/auth/setup.ts";
import { createDeps, type Deps } from "../../src/services/core/deps.ts";
import { createLayout } from "../../src/services/core/layout.ts";
import type { Clock } from "../../src/services/monitoring/scheduler.ts";

export const testLimits: Limits = {
  maxBundleBytes: 5 * 1024 * 1024,
  maxEntries: 200,
  maxUncompressedBytes: 20 * 1024 * 1024,
  maxCompressionRatio: 50,
};

export type TestApp = {
  app: ReturnType<typeof createApp>;
  deps: Deps;
  dir: string;
  /** The owner's admin-scoped API key that `request` sends. */
  key: string;
  setup: Setup;
  /** A request with no credentials. */
  anon: (path: string, init?: RequestInit) => Promise<Response>;
  request: (path: string, init?: RequestInit) => Promise<Response>;
  json: (path: string, method: string, body?: unknown) => Promise<Response>;
  close: () => Promise<void>;
};

/** argon2id of OWNER_PASSWORD, computed once so each test app does not pay for it. */
export const OWNER_PASSWORD = "correct horse battery";
const OWNER_HASH = await hashPassword(OWNER_PASSWORD);

/** The real app over a real SQLite file in a fresh temp dir. */
export function createTestApp(
  opts: {
    limits?: Partial<Limits>;
    retention?: number;
    noUsers?: boolean;
    edge?: EdgeConfig;
    dnsLookup?: DnsLookup;
    clock?: Clock;
    notifyAllowPrivate?: boolean;
    smtpCa?: string;
    metricsToken?: string;
  } = {},
): TestApp {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-test-"));
  const layout = createLayout(dir);
  const db = openDb(layout.dbFile);
  const deps = createDeps({
    db,
    layout,
    limits: { ...testLimits, ...opts.limits },
    defaultRetention: opts.retention ?? 10,
    logger: createLogger("silent"),
    edge: opts.edge,
    clock: opts.clock,
    notifyAllowPrivate: opts.notifyAllowPrivate,
    smtpCa: opts.smtpCa,
    metricsToken: opts.metricsToken,
    publicUrl: "http://localhost:8080",
  });
  const publicUrl = "http://localhost:8080";
  const setup = createSetup(deps);
  const app = createApp({
    deps,
    urls: createUrls(publicUrl, "localhost"),
    baseDomain: "localhost",
    publicUrl,
    setup,
    dnsLookup: opts.dnsLookup,
  });
  // health checks reach the sites through the app itself, as HTTP would reach the server
  deps.probe = async (site, p, timeoutMs) => {
    const host = `${site.environment}--${site.service}.localhost`;
    const res = await app.request(`http://${host}${p}`, {
      headers: { host },
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  };
  // an owner and an admin key: requests are authenticated unless a test says otherwise
  let key = "";
  if (!opts.noUsers) {
    const owner = deps.repos.users.insert(deps.db, {
      email: "owner@example.com",
      passwordHash: OWNER_HASH,
      role: "owner",
      services: null,
    });
    key = createApiKey(deps, owner, { name: "tests", scope: "admin" }).key;
  }
  const anon = (p: string, init?: RequestInit) =>
    Promise.resolve(app.request(`http://localhost:8080${p}`, init));
  const request = (p: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${key}`);
    return anon(p, { ...init, headers });
  };
  return {
    app,
    deps,
    dir,
    key,
    setup,
    anon,
    request,
    json: (p, method, body) =>
      request(p, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    close: async () => {
      await deps.queue.idle();
      db.$client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A zip made in memory from { path: content }. */
export function makeZip(files: Record<string, string | Buffer>): Buffer {
  const zip = new AdmZip();
  for (const [name, content] of Object.entries(files)) {
    zip.addFile(name, Buffer.isBuffer(content) ? content : Buffer.from(content));
  }
  return zip.toBuffer();
}

export function uploadZip(t: TestApp, service: string, env: string, zip: Buffer, message?: string) {
  const form = new FormData();
  form.set("bundle", new Blob([new Uint8Array(zip)], { type: "application/zip" }), "site.zip");
  if (message) form.set("message", message);
  return t.request(`/api/v1/services/${service}/environments/${env}/deployments`, {
    method: "POST",
    body: form,
  });
}

/** Polls a deployment until it reaches a status no longer in flight. */
export async function waitForDeployment(t: TestApp, id: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.request(`/api/v1/deployments/${id}`);
    const body = (await res.json()) as { status: string };
    if (!["queued", "preparing", "activating"].includes(body.status))
      return body as Record<string, unknown> & { status: string };
    if (Date.now() > deadline) throw new Error(`deployment ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** GET a site by Host header through the app. */
export async function site(t: TestApp, host: string, p = "/") {
  const res = await t.app.request(`http://${host}${p}`, { headers: { host } });
  return { status: res.status, body: await res.text(), headers: res.headers };
}
