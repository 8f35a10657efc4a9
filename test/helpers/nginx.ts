import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import type { EdgeConfig } from "../../src/config.ts";
import { embeddedEdge } from "../../src/services/core/deps.ts";
import { freePort } from "./server.ts";

export const NGINX_BIN = process.env.BERTH_TEST_NGINX ?? "/usr/sbin/nginx";

/** Whether this kernel has IPv6 (sites then listen on [::1] too). */
export const HAS_IPV6 = fs.existsSync("/proc/net/if_inet6");

export type NginxResponse = {
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  bytes: Buffer;
};

export type PrivateNginx = {
  /** The prefix directory (0755): nginx.conf, logs/, run/, tmp/, sites-*. */
  dir: string;
  /** Plain HTTP port on 127.0.0.1. */
  port: number;
  /** TLS port on 127.0.0.1 (a default server rejects handshakes for unknown names). */
  tlsPort: number;
  sitesAvailable: string;
  sitesEnabled: string;
  /** The master's pid (the process this helper spawned). */
  pid: number;
  /** An nginx-mode EdgeConfig pointing at this instance. */
  edgeConfig(overrides?: Partial<EdgeConfig>): EdgeConfig;
  /** GET (or `init.method`) http://127.0.0.1:<port><path> with `Host: host`. */
  request(
    host: string,
    path?: string,
    init?: { method?: string; headers?: Record<string, string> },
  ): Promise<NginxResponse>;
  /** Same over TLS with SNI = host; pass the CA that signed the site's certificate. */
  requestTls(
    host: string,
    path?: string,
    init?: { method?: string; headers?: Record<string, string>; ca?: string | Buffer },
  ): Promise<NginxResponse & { peerCertificate: import("node:tls").PeerCertificate }>;
  /** Current worker pids: they all change on a reload, so equal sets mean no reload. */
  workerPids(): number[];
  /** Waits until old workers (of an earlier reload) have all exited. */
  idle(): Promise<void>;
  /** `nginx -t` on the current files: exit status and stderr. */
  test(): { ok: boolean; stderr: string };
  /** `nginx -s reload`, then waits until only new workers run. */
  reload(): Promise<void>;
  /**
   * Runs `change` (for example a Berth call that reloads nginx itself) and waits until
   * only workers started after it run, so the next request sees the new configuration.
   */
  settled<T>(change: () => T | Promise<T>): Promise<T>;
  errorLog(): string;
  /** SIGQUIT (graceful), SIGKILL after 5 s; removes the directory. Idempotent. */
  stop(): Promise<void>;
};

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function nginxConf(sitesEnabled: string, port: number, tlsPort: number, jit: boolean): string {
  // pcre_jit: what install.sh's nginx.conf should say too (the maps of berth.conf are regexes)
  return `daemon off;
pcre_jit ${jit ? "on" : "off"};
worker_processes 1;
pid run/nginx.pid;
error_log logs/error.log notice;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log logs/access.log;
  sendfile on;
  server_names_hash_bucket_size 128;
  server_names_hash_max_size 8192;
  client_body_temp_path tmp/body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
  # unknown hosts get a plain 404, never somebody's site
  server {
    listen 127.0.0.1:${port} default_server;
    listen 127.0.0.1:${tlsPort} ssl default_server;
    ssl_reject_handshake on;
    server_name _;
    return 404;
  }
  include ${path.join(sitesEnabled, "*.conf")};
}
`;
}

function doRequest(
  mod: typeof http | typeof https,
  options: https.RequestOptions,
): Promise<{ res: http.IncomingMessage; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = mod.request({ ...options, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ res, bytes: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("nginx request timed out")));
    req.end();
  });
}

function flatHeaders(res: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** Children of `pid` according to /proc (nginx workers of a master). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out.sort((a, b) => a - b);
}

/**
 * Starts a private nginx master (recipes/nginx.sh): `daemon off`, everything inside a
 * 0755 temp dir, `include <sitesEnabled>/*.conf`, high loopback ports. Stop it by PID.
 */
export async function startNginx(opts: { pcreJit?: boolean } = {}): Promise<PrivateNginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-nginx-"));
  fs.chmodSync(dir, 0o755); // a root master runs workers as nobody
  for (const sub of ["logs", "run", "tmp", "sites-available", "sites-enabled"]) {
    fs.mkdirSync(path.join(dir, sub), { mode: 0o755 });
  }
  const sitesAvailable = path.join(dir, "sites-available");
  const sitesEnabled = path.join(dir, "sites-enabled");
  const port = await freePort();
  let tlsPort = await freePort();
  while (tlsPort === port) tlsPort = await freePort();
  const conf = path.join(dir, "nginx.conf");
  fs.writeFileSync(conf, nginxConf(sitesEnabled, port, tlsPort, opts.pcreJit !== false));
  const command = [NGINX_BIN, "-p", `${dir}/`, "-c", conf];
  const run = (args: string[]) =>
    spawnSync(command[0] as string, [...command.slice(1), ...args], { encoding: "utf8" });

  const checked = run(["-t", "-q"]);
  if (checked.status !== 0) throw new Error(`nginx -t failed:\n${checked.stderr}`);
  const child: ChildProcess = spawn(command[0] as string, command.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid as number;

  const request: PrivateNginx["request"] = async (host, p = "/", init = {}) => {
    const { res, bytes } = await doRequest(http, {
      host: "127.0.0.1",
      port,
      path: p,
      method: init.method ?? "GET",
      headers: { ...init.headers, host },
    });
    return {
      status: res.statusCode ?? 0,
      headers: flatHeaders(res),
      body: bytes.toString("utf8"),
      bytes,
    };
  };

  // ready: the pid file exists and the default server answers
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited early:\n${stderr}`);
    if (fs.existsSync(path.join(dir, "run/nginx.pid"))) {
      try {
        await request("ready.invalid");
        break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nginx did not start:\n${stderr}`);
    }
    await wait(20);
  }

  /** Runs `signal`, then waits until new workers run and every old one has gone. */
  const reloaded = async (signal: () => void | Promise<void>) => {
    const before = childrenOf(pid);
    await signal();
    const until = Date.now() + 10_000;
    for (;;) {
      const now = childrenOf(pid);
      if (now.length > 0 && now.every((p) => !before.includes(p))) return;
      if (Date.now() > until) throw new Error("nginx did not reload");
      await wait(10);
    }
  };

  let stopped = false;
  return {
    dir,
    port,
    tlsPort,
    sitesAvailable,
    sitesEnabled,
    pid,
    edgeConfig: (overrides = {}) => ({
      ...embeddedEdge,
      mode: "nginx",
      nginx: {
        command,
        sitesAvailable,
        sitesEnabled,
        reload: [...command, "-s", "reload"],
        // sites listen on IPv6 loopback too, where the kernel has IPv6 (BERTH_NGINX_LISTEN
        // takes several addresses)
        listenAll: [`127.0.0.1:${port}`, ...(HAS_IPV6 ? [`[::1]:${port}`] : [])],
        listenTlsAll: [`127.0.0.1:${tlsPort}`],
        listen: `127.0.0.1:${port}`,
        listenTls: `127.0.0.1:${tlsPort}`,
      },
      ...overrides,
    }),
    request,
    requestTls: async (host, p = "/", init = {}) => {
      const { res, bytes } = await doRequest(https, {
        host: "127.0.0.1",
        port: tlsPort,
        path: p,
        method: init.method ?? "GET",
        headers: { ...init.headers, host },
        servername: host,
        ...(init.ca ? { ca: init.ca } : { rejectUnauthorized: false }),
      });
      const socket = res.socket as import("node:tls").TLSSocket;
      return {
        status: res.statusCode ?? 0,
        headers: flatHeaders(res),
        body: bytes.toString("utf8"),
        bytes,
        peerCertificate: socket.getPeerCertificate(),
      };
    },
    workerPids: () => childrenOf(pid),
    idle: async () => {
      // worker_processes 1: one worker left means no old generation is still draining
      const until = Date.now() + 30_000;
      while (childrenOf(pid).length > 1) {
        if (Date.now() > until) throw new Error("old nginx workers did not exit");
        await wait(10);
      }
    },
    settled: async <T>(change: () => T | Promise<T>): Promise<T> => {
      let result: T | undefined;
      await reloaded(async () => {
        result = await change();
      });
      return result as T;
    },
    test: () => {
      const r = run(["-t"]);
      return { ok: r.status === 0, stderr: r.stderr };
    },
    reload: async () => {
      await reloaded(() => {
        const r = run(["-s", "reload"]);
        if (r.status !== 0) throw new Error(`nginx -s reload failed:\n${r.stderr}`);
      });
    },
    errorLog: () => {
      try {
        return fs.readFileSync(path.join(dir, "logs/error.log"), "utf8");
      } catch {
        return "";
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, "SIGQUIT");
        const timer = setTimeout(() => {
          if (child.exitCode === null) process.kill(pid, "SIGKILL");
        }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
