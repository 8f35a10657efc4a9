/**
 * Shared set-up of the edge benchmarks: a private nginx (test/helpers/nginx.ts) and
 * the Berth server in nginx mode pointed at it.
 */
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { type PrivateNginx, startNginx } from "../../test/helpers/nginx.ts";
import type { RunningServer } from "../../test/helpers/server.ts";
import { startBerth } from "./lib.ts";

export { type PrivateNginx, startNginx };

/** The environment variables that put a Berth server in nginx mode over `ngx`. */
export function nginxModeEnv(ngx: PrivateNginx): Record<string, string> {
  const e = ngx.edgeConfig().nginx;
  const [bin, ...args] = e.command;
  return {
    BERTH_EDGE: "nginx",
    BERTH_NGINX_BIN: bin as string,
    BERTH_NGINX_ARGS: args.join(" "),
    BERTH_NGINX_SITES_AVAILABLE: e.sitesAvailable,
    BERTH_NGINX_SITES_ENABLED: e.sitesEnabled,
    BERTH_NGINX_LISTEN: e.listen,
    BERTH_NGINX_LISTEN_TLS: e.listenTls,
  };
}

/** Berth in nginx mode on `dataDir` (made 0755: nginx's workers run as nobody). */
export async function startBerthWithNginx(
  dataDir: string,
  ngx: PrivateNginx,
): Promise<RunningServer> {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.chmodSync(path.dirname(dataDir), 0o755);
  fs.chmodSync(dataDir, 0o755);
  return startBerth(dataDir, nginxModeEnv(ngx));
}

/** Wall time of one `nginx -t` over the current files, in ms. */
export function timeNginxTest(ngx: PrivateNginx): number {
  const [bin, ...args] = ngx.edgeConfig().nginx.command;
  const started = performance.now();
  const r = spawnSync(bin as string, [...args, "-t", "-q"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`nginx -t failed: ${r.stderr}`);
  return performance.now() - started;
}

/** Every file and link of the two nginx directories: mtime and content (or link target). */
export function edgeFiles(ngx: PrivateNginx): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of [ngx.sitesAvailable, ngx.sitesEnabled]) {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      out.set(
        p,
        st.isSymbolicLink()
          ? `${st.mtimeMs} -> ${fs.readlinkSync(p)}`
          : `${st.mtimeMs} ${fs.readFileSync(p).toString("base64")}`,
      );
    }
  }
  return out;
}

export type WrkTotals = {
  requests: number;
  rps: number;
  non2xx: number;
  socketErrors: number;
  output: string;
};

/**
 * Runs wrk (no Lua: its own summary counts non-2xx/3xx answers and socket errors) with a
 * Host header, and parses the summary.
 */
export function runWrk(
  bin: string,
  opts: { url: string; host: string; seconds: number; connections: number; threads: number },
): Promise<WrkTotals> {
  const args = [
    `-t${opts.threads}`,
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    "--latency",
    "-H",
    `Host: ${opts.host}`,
    opts.url,
  ];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: (opts.seconds + 60) * 1000 }, (err, stdout) => {
      if (err) return reject(err);
      const requests = /(\d+) requests in/.exec(stdout)?.[1];
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
      if (!requests || !rps) return reject(new Error(`unexpected wrk output:\n${stdout}`));
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
        stdout,
      );
      const socketErrors = socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
      resolve({
        requests: Number(requests),
        rps: Number(rps),
        non2xx,
        socketErrors,
        output: stdout,
      });
    });
  });
}
