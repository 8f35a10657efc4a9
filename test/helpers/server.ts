import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";

import { openDb } from "../../src/db/client.ts";
import { createLogger } from "../../src/log.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { hashPassword } from "../../src/services/auth/passwords.ts";
import { createDeps } from "../../src/services/core/deps.ts";
import { createLayout } from "../../src/services/core/layout.ts";
import { testLimits } from "./app.ts";

const root = path.resolve(import.meta.dirname, "../..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Opens a data directory's database for a moment, as the berth command does, and closes it. */
function withDataDir<T>(dataDir: string, fn: (deps: ReturnType<typeof createDeps>) => T): T {
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
    return fn(deps);
  } finally {
    db.$client.close();
  }
}

/** Writes an owner and an admin API key into a data directory, as `berth key create` would. */
export function seedKey(dataDir: string): string {
  return withDataDir(dataDir, (deps) => {
    const owner =
      deps.repos.users.byEmail("owner@example.com") ??
      deps.repos.users.insert(deps.db, {
        email: "owner@example.com",
        passwordHash: "x",
        role: "owner",
        services: null,
      });
    return createApiKey(deps, owner, { name: "tests", scope: "admin" }).key;
  });
}

export type RunningServer = {
  url: string;
  /** An admin API key for this data directory. */
  key: string;
  /** fetch() against /api/v1 with the key. */
  api: (path: string, init?: RequestInit) => Promise<Response>;
  port: number;
  pid: number;
  output: () => string;
  /** SIGTERM and wait for exit. */
  stop: () => Promise<void>;
  /** kill -9 and wait for exit. */
  kill9: () => Promise<void>;
};

/** Starts the real Berth server (node src/main.ts) on a free loopback port. */
export async function startServer(
  dataDir: string,
  env: Record<string, string> = {},
  opts: { seed?: boolean } = {},
): Promise<RunningServer> {
  const key = opts.seed === false ? "" : seedKey(dataDir);
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [path.join(root, "src/main.ts")], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      BERTH_DATA_DIR: dataDir,
      BERTH_HOST: "127.0.0.1",
      BERTH_PORT: String(port),
      BERTH_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid as number;
  const killWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(pid, signal);
      await exited;
    }
  };
  return {
    url,
    key,
    api: (p, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${key}`);
      return fetch(`${url}/api/v1${p}`, { ...init, headers });
    },
    port,
    pid,
    output: () => out,
    stop: () => killWith("SIGTERM"),
    kill9: () => killWith("SIGKILL"),
  };
}

/** GET a site through the server with a Host header (no DNS involved). */
export async function fetchSite(server: RunningServer, host: string, p = "/") {
  const { request } = await import("node:http");
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: server.port,
        path: p,
        headers: { host: `${host}:${server.port}` },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** An owner who signs in with a password (a browser test's user); startServer's key reuses it. */
export async function seedOwner(dataDir: string, email: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  withDataDir(dataDir, (deps) => {
    deps.repos.users.insert(deps.db, { email, passwordHash, role: "owner", services: null });
  });
}
