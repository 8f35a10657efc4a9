/**
 * Serving throughput: requests/s for one 10 KB file through Berth's embedded
 * serving (the real server, Host header) against a bare Hono app with
 * @hono/node-server's serveStatic on the same release directory, each in its
 * own process, loaded in turn with wrk (A/B/A/B... to cancel drift). A Lua
 * hook counts every status, and any response that is not a 200 fails the run.
 *
 * Usage: node scripts/bench/serve-throughput.ts   (BENCH_ROUNDS=5, BENCH_SECONDS=10, BENCH_CONNECTIONS=50)
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fetchSite, freePort, type RunningServer } from "../../test/helpers/server.ts";
import {
  createService,
  emitResult,
  fmt,
  makeZip,
  median,
  ROOT,
  removeDir,
  requireTool,
  sleep,
  startBerth,
  tempDir,
  upload,
  waitLive,
  webText,
} from "./lib.ts";

const ROUNDS = Math.max(2, Number(process.env.BENCH_ROUNDS ?? 5));
const SECONDS = Math.max(2, Number(process.env.BENCH_SECONDS ?? 10));
const CONNECTIONS = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 50));
const FILE = "/assets/app.js";
const SIZE = 10 * 1024;

// every response's status is counted per thread and summed in done()
const LUA = `local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; other = 0 end
function response(status, headers, body) if status == 200 then ok = ok + 1 else other = other + 1 end end
function done(summary, latency, requests)
  local o, x = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); x = x + t:get("other") end
  io.write(string.format("STATUS ok=%d other=%d errors=%d\\n", o, x,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`;

type WrkRun = { rps: number; ok: number; other: number; errors: number };

function wrk(
  bin: string,
  script: string,
  url: string,
  host: string,
  seconds: number,
): Promise<WrkRun> {
  const args = [
    "-t1",
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    "-s",
    script,
    "-H",
    `Host: ${host}`,
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: (seconds + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(err);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
      const status = /STATUS ok=(\d+) other=(\d+) errors=(\d+)/.exec(stdout);
      if (!rps || !status) return reject(new Error(`unexpected wrk output:\n${stdout}`));
      resolve({
        rps: Number(rps),
        ok: Number(status[1]),
        other: Number(status[2]),
        errors: Number(status[3]),
      });
    });
  });
}

async function startReference(root: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, "scripts/bench/static-ref-server.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", REF_ROOT: root, REF_PORT: String(port) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error("the reference server exited early");
    const res = await fetch(`http://127.0.0.1:${port}${FILE}`).catch(() => null);
    if (res?.status === 200 && (await res.arrayBuffer()).byteLength === SIZE)
      return { child, port };
    await sleep(50);
  }
  throw new Error("the reference server did not start");
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(child.pid, "SIGTERM");
  await exited;
}

async function main(): Promise<void> {
  const wrkBin = requireTool("wrk", "apt-get install -y wrk");
  const work = tempDir("serve");
  let server: RunningServer | undefined;
  let ref: ChildProcess | undefined;
  try {
    const dataDir = path.join(work, "data");
    server = await startBerth(dataDir);
    await createService(server.url, "tp");
    const zip = makeZip([
      ["index.html", Buffer.from("<!doctype html><p>throughput</p>\n")],
      [FILE.slice(1), webText(7, SIZE, "js")],
    ]);
    await waitLive(server.url, (await upload(server.port, "tp", zip)).id);
    const host = `production--tp.localhost:${server.port}`;
    const check = await fetchSite(server, "production--tp.localhost", FILE);
    if (check.status !== 200 || check.body.length !== SIZE)
      throw new Error(`berth answered ${check.status}, ${check.body.length} bytes`);

    // the reference serves the very release directory Berth serves
    const releaseDir = fs.realpathSync(path.join(dataDir, "sites/tp/production/current"));
    const started = await startReference(releaseDir);
    ref = started.child;
    const script = path.join(work, "status.lua");
    fs.writeFileSync(script, LUA);
    const targets = {
      berth: `http://127.0.0.1:${server.port}${FILE}`,
      hono: `http://127.0.0.1:${started.port}${FILE}`,
    };

    const runs: { berth: WrkRun; hono: WrkRun }[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const warm = round === 0; // a short unreported round warms both JITs up
      const seconds = warm ? 3 : SECONDS;
      const berth = await wrk(wrkBin, script, targets.berth, host, seconds);
      const hono = await wrk(wrkBin, script, targets.hono, host, seconds);
      for (const [name, r] of [
        ["berth", berth],
        ["hono", hono],
      ] as const) {
        if (r.other > 0 || r.errors > 0 || r.ok === 0) {
          throw new Error(
            `${name}: ${r.ok} responses 200, ${r.other} other statuses, ${r.errors} socket errors`,
          );
        }
      }
      if (warm) continue;
      runs.push({ berth, hono });
      console.log(
        `round ${round}: berth ${fmt(berth.rps, 0)} req/s  hono serveStatic ${fmt(hono.rps, 0)} req/s  ratio ${fmt(berth.rps / hono.rps, 2)}  (all ${berth.ok + hono.ok} responses 200)`,
      );
    }
    const result = {
      rounds: ROUNDS,
      seconds: SECONDS,
      connections: CONNECTIONS,
      fileBytes: SIZE,
      berthRps: median(runs.map((r) => r.berth.rps)),
      honoRps: median(runs.map((r) => r.hono.rps)),
      ratio: median(runs.map((r) => r.berth.rps / r.hono.rps)),
      responses: runs.reduce((n, r) => n + r.berth.ok + r.hono.ok, 0),
      non200: 0,
    };
    console.log(
      `\nmedians over ${ROUNDS} rounds of ${SECONDS} s, wrk -t1 -c${CONNECTIONS}, ${SIZE}-byte file:`,
    );
    console.log(
      `berth ${fmt(result.berthRps, 0)} req/s, hono serveStatic ${fmt(result.honoRps, 0)} req/s, ratio berth/hono ${fmt(result.ratio, 2)}; ${result.responses} responses, all 200`,
    );
    emitResult("serve-throughput", result);
  } finally {
    await stopChild(ref);
    await server?.stop();
    removeDir(work);
  }
}

await main();
