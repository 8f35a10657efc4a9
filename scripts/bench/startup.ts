/**
 * Start-up and idle footprint.
 * - CLI: `node bin/berth.js --help` and `berth user list` (a command that opens
 *   the database), each timed spawn → exit, median of N, as a ratio to
 *   `node -e 0` timed interleaved in the same run.
 * - Server: spawn of `node src/main.ts` → first 200 from /healthz (polled every
 *   5 ms), median of N, also as a ratio to `node -e 0`.
 * - Idle RSS of the server 6 s after start, then sampled every 5 s for
 *   BENCH_IDLE_SECONDS (default 60): first, last, max. Two configurations: none
 *   (embedded edge, no DNS, no ACME) and all (nginx edge with a stand-in binary,
 *   ACME directory set, Cloudflare DNS checked once so its SDK is loaded).
 *
 * Usage: node scripts/bench/startup.ts   (BENCH_RUNS=7, BENCH_IDLE_SECONDS=60)
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { freePort, seedKey } from "../../test/helpers/server.ts";
import {
  emitResult,
  fmt,
  median,
  now,
  procMemory,
  ROOT,
  removeDir,
  sleep,
  tempDir,
} from "./lib.ts";

const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 7));
const IDLE_SECONDS = Math.max(6, Number(process.env.BENCH_IDLE_SECONDS ?? 60));
const bin = path.join(ROOT, "bin/berth.js");

function timed(args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: "ignore",
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(now() - t0) : reject(new Error(`${args.join(" ")} exited ${code}`)),
    );
  });
}

type Server = { pid: number; url: string; readyMs: number; stop: () => Promise<void> };

async function startTimed(dataDir: string, env: Record<string, string>): Promise<Server> {
  const key = seedKey(dataDir);
  const port = await freePort();
  const t0 = now();
  const child = spawn(process.execPath, [path.join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      BERTH_DATA_DIR: dataDir,
      BERTH_HOST: "127.0.0.1",
      BERTH_PORT: String(port),
      BERTH_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: "ignore",
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error("server exited during start-up");
    const ok = await fetch(`${url}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (now() - t0 > 30_000) throw new Error("server did not answer /healthz in 30 s");
    await sleep(5);
  }
  const readyMs = now() - t0;
  process.env.BENCH_KEY = key;
  return {
    pid: child.pid as number,
    url,
    readyMs,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

const ALL_CAPABILITIES = {
  BERTH_EDGE: "nginx",
  BERTH_NGINX_BIN: "/bin/true",
  BERTH_ACME_DIRECTORY: "https://127.0.0.1:1/dir",
  BERTH_PUBLIC_IPV4: "192.0.2.1",
};

/** Loads the Cloudflare provider the way a configured installation does: a credentials check. */
async function touchCloudflare(server: Server): Promise<void> {
  await fetch(`${server.url}/api/v1/settings/dns/check`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${process.env.BENCH_KEY ?? ""}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({
      provider: "cloudflare",
      cloudflare: { apiToken: "x".repeat(40), proxied: false, baseUrl: "http://127.0.0.1:1" },
    }),
  });
}

async function idle(work: string, name: string, env: Record<string, string>) {
  const server = await startTimed(path.join(work, `data-${name}`), env);
  try {
    if (name === "all") await touchCloudflare(server);
    await sleep(6000);
    const samples = [procMemory(server.pid).rssKiB / 1024];
    for (let t = 6; t < IDLE_SECONDS; t += 5) {
      await sleep(5000);
      samples.push(procMemory(server.pid).rssKiB / 1024);
    }
    const r = {
      config: name,
      readyMs: server.readyMs,
      rssAt6sMiB: samples[0] as number,
      rssLastMiB: samples.at(-1) as number,
      rssMaxMiB: Math.max(...samples),
      seconds: IDLE_SECONDS,
    };
    console.log(
      `idle, ${name} configured: RSS ${fmt(r.rssAt6sMiB)} MiB at 6 s, ${fmt(r.rssLastMiB)} MiB at ${IDLE_SECONDS} s (max ${fmt(r.rssMaxMiB)}); /healthz after ${fmt(r.readyMs, 0)} ms`,
    );
    return r;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const work = tempDir("startup");
  try {
    const cliData = path.join(work, "cli");
    seedKey(cliData);
    const ref: number[] = [];
    const help: number[] = [];
    const list: number[] = [];
    const ready: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const r = await timed(["-e", "0"]);
      const h = await timed([bin, "--help"]);
      const l = await timed([bin, "user", "list"], { BERTH_DATA_DIR: cliData });
      const s = await startTimed(path.join(work, `ready-${i}`), {});
      await s.stop();
      if (i === 0) continue; // warm-up
      ref.push(r);
      help.push(h);
      list.push(l);
      ready.push(s.readyMs);
    }
    const m = { node: median(ref), help: median(help), list: median(list), ready: median(ready) };
    console.log(
      `node -e 0 ${fmt(m.node, 0)} ms | berth --help ${fmt(m.help, 0)} ms (${fmt(m.help / m.node, 2)}x) | berth user list ${fmt(m.list, 0)} ms (${fmt(m.list / m.node, 2)}x) | server spawn -> /healthz ${fmt(m.ready, 0)} ms (${fmt(m.ready / m.node, 2)}x)`,
    );
    const none = await idle(work, "none", {});
    const all = await idle(work, "all", ALL_CAPABILITIES);
    emitResult("startup", {
      medianMs: m,
      helpOverNode: m.help / m.node,
      readyOverNode: m.ready / m.node,
      idle: [none, all],
      met: {
        help: m.help < 300,
        ready: m.ready < 1000,
        idle: [none, all].every((x) => x.rssMaxMiB <= 80),
      },
    });
  } finally {
    removeDir(work);
  }
}

await main();
