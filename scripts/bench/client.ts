/**
 * A small client for the Berth API as the benchmarks use it: start a server
 * with an API key, create services, upload bundles, wait, read release logs.
 */
import fs from "node:fs";
import { request } from "node:http";
import { openDb } from "../../src/db/client.ts";
import { createLogger } from "../../src/log.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createUser } from "../../src/services/auth/users.ts";
import { createDeps } from "../../src/services/core/deps.ts";
import { createLayout } from "../../src/services/core/layout.ts";
import { type RunningServer, startServer } from "../../test/helpers/server.ts";
import { incompressible } from "./bundles.ts";

const now = (): number => performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let bearer = "";
const authHeaders = (): Record<string, string> =>
  bearer ? { authorization: `Bearer ${bearer}` } : {};

/**
 * Starts the real server (test/helpers/server.ts) on a fresh data directory,
 * with an owner and an admin-scope API key written into its database first,
 * which every API call below then sends.
 */
export async function startBerth(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const layout = createLayout(dataDir);
  const db = openDb(layout.dbFile);
  try {
    const limits = {
      maxBundleBytes: 1,
      maxEntries: 1,
      maxUncompressedBytes: 1,
      maxCompressionRatio: 1,
    };
    const deps = createDeps({
      db,
      layout,
      limits,
      defaultRetention: 10,
      logger: createLogger("silent"),
    });
    const password = incompressible(`pw:${process.pid}`, 24).toString("hex");
    const owner = await createUser(deps, { email: "bench@example.com", password, role: "owner" });
    bearer = createApiKey(deps, owner, { name: "bench", scope: "admin" }).key;
  } finally {
    db.$client.close();
  }
  return startServer(dataDir, env);
}

export async function api<T = Record<string, unknown>>(
  base: string,
  p: string,
  method = "GET",
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const init: RequestInit = { method, headers: authHeaders() };
  if (body !== undefined) {
    init.headers = { ...authHeaders(), "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${base}/api/v1${p}`, init);
  return { status: res.status, json: (await res.json()) as T };
}

export async function createService(base: string, name: string): Promise<void> {
  const { status, json } = await api(base, "/services", "POST", { name });
  if (status !== 201 && status !== 200)
    throw new Error(`creating ${name}: ${status} ${JSON.stringify(json)}`);
}

export type Uploaded = {
  sentAt: number;
  sentWall: number;
  answeredAt: number;
  status: number;
  id: string;
};

/**
 * Uploads a raw zip (a buffer or a file streamed from disk). `sentAt` is the end
 * of the upload: the moment the client's request emitted "finish", i.e. the
 * whole body had been handed to the kernel's socket (the req.end() callback).
 */
export function upload(
  port: number,
  service: string,
  body: Buffer | string,
  onSent?: () => void,
): Promise<Uploaded> {
  const length = typeof body === "string" ? fs.statSync(body).size : body.length;
  return new Promise((resolve, reject) => {
    let sentAt = Number.NaN;
    let sentWall = Number.NaN;
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: `/api/v1/services/${service}/environments/production/deployments`,
        headers: {
          ...authHeaders(),
          "content-type": "application/zip",
          "content-length": String(length),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => {
          const answeredAt = now();
          if (res.statusCode !== 202)
            return reject(new Error(`upload answered ${res.statusCode}: ${text}`));
          resolve({
            sentAt,
            sentWall,
            answeredAt,
            status: res.statusCode,
            id: (JSON.parse(text) as { id: string }).id,
          });
        });
      },
    );
    req.on("error", reject);
    req.on("finish", () => {
      sentAt = now();
      sentWall = Date.now();
      onSent?.();
    });
    if (typeof body === "string") fs.createReadStream(body).on("error", reject).pipe(req);
    else req.end(body);
  });
}

/** Polls a deployment until it is live; throws on failure or after `timeoutMs`. */
export async function waitLive(base: string, id: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api<{ status: string; failure: unknown }>(base, `/deployments/${id}`);
    if (json.status === "live") return;
    if (["failed", "cancelled", "interrupted"].includes(json.status))
      throw new Error(`deployment ${id} ${json.status}: ${JSON.stringify(json.failure)}`);
    if (Date.now() > deadline)
      throw new Error(`deployment ${id} still ${json.status} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

export type LogLine = { at: string; step: string; message: string };
export async function releaseLog(base: string, id: string): Promise<LogLine[]> {
  return (await api<{ lines: LogLine[] }>(base, `/deployments/${id}/log`)).json.lines;
}
