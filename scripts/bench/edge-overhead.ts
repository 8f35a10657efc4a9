/**
 * The cost of the generated vhost: requests/s through Berth's vhost for an environment
 * against the same nginx serving the same directory (the environment's `current`) from a
 * minimal server block, in the same run, alternating A/B to cancel drift. Target: the
 * generated vhost keeps >= 0.95 of the minimal block's throughput. The nginx worker's CPU
 * time per request (from /proc) is printed beside it: on a shared machine it is steadier
 * than requests/s.
 *
 * Usage: node scripts/bench/edge-overhead.ts
 *   (BENCH_ROUNDS=5, BENCH_SECONDS=10, BENCH_CONNECTIONS=100; BENCH_PCRE_JIT=0 runs nginx
 *   without `pcre_jit on`, as Debian's stock nginx.conf does)
 */
import fs from "node:fs";
import path from "node:path";
import type { RunningServer } from "../../test/helpers/server.ts";
import { runWrk, startBerthWithNginx, startNginx } from "./edge-lib.ts";
import {
  cpuMs,
  createService,
  emitResult,
  fmt,
  makeZip,
  median,
  removeDir,
  requireTool,
  tempDir,
  upload,
  waitLive,
  webText,
} from "./lib.ts";

const ROUNDS = Math.max(2, Number(process.env.BENCH_ROUNDS ?? 5));
const SECONDS = Math.max(2, Number(process.env.BENCH_SECONDS ?? 10));
const CONNECTIONS = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 100));
const SERVICE = "oh";
const HOST = `production--${SERVICE}.localhost`;
const REF_HOST = "minimal.bench";
const PATHS = ["/assets/app.js", "/assets/app.3f9a2c1d.js", "/"];
const JIT = process.env.BENCH_PCRE_JIT !== "0";

async function main(): Promise<void> {
  const wrkBin = requireTool("wrk", "apt-get install -y wrk");
  const work = tempDir("edge-oh");
  const ngx = await startNginx({ pcreJit: JIT });
  let server: RunningServer | undefined;
  try {
    const dataDir = path.join(work, "data");
    server = await startBerthWithNginx(dataDir, ngx);
    await createService(server.url, SERVICE);
    const zip = makeZip([
      ["index.html", webText(1, 8 * 1024, "html")],
      ["assets/app.js", webText(2, 10 * 1024, "js")],
      ["assets/app.3f9a2c1d.js", webText(3, 10 * 1024, "js")],
    ]);
    await waitLive(server.url, (await upload(server.port, SERVICE, zip)).id);
    // the reference: nginx's own defaults over the very same directory
    const current = path.join(dataDir, "sites", SERVICE, "production", "current");
    fs.writeFileSync(
      path.join(ngx.sitesEnabled, "zz-minimal.conf"),
      `server {\n  listen ${ngx.edgeConfig().nginx.listen};\n  server_name ${REF_HOST};\n  root ${current};\n}\n`,
    );
    await ngx.reload();
    for (const p of PATHS) {
      const a = await ngx.request(HOST, p);
      const b = await ngx.request(REF_HOST, p);
      if (a.status !== 200 || b.status !== 200 || !a.bytes.equals(b.bytes))
        throw new Error(`${p}: vhost ${a.status}, minimal ${b.status}: not the same file`);
    }

    const url = (p: string) => `http://127.0.0.1:${ngx.port}${p}`;
    const perPath: Record<
      string,
      { vhost: number; minimal: number; ratio: number; cpuRatio: number }
    > = {};
    let failures = 0;
    for (const p of PATHS) {
      const ratios: number[] = [];
      const vhost: number[] = [];
      const minimal: number[] = [];
      const cpuRatios: number[] = [];
      for (let round = 0; round <= ROUNDS; round++) {
        const seconds = round === 0 ? 2 : SECONDS; // round 0 warms up, unreported
        const opts = { seconds, connections: CONNECTIONS, threads: 1 };
        const worker = ngx.workerPids()[0] as number;
        const cpu0 = cpuMs(worker).own;
        const a = await runWrk(wrkBin, { ...opts, url: url(p), host: HOST });
        const cpu1 = cpuMs(worker).own;
        const b = await runWrk(wrkBin, { ...opts, url: url(p), host: REF_HOST });
        const cpu2 = cpuMs(worker).own;
        failures += a.non2xx + a.socketErrors + b.non2xx + b.socketErrors;
        if (round === 0) continue;
        const usA = ((cpu1 - cpu0) * 1000) / a.requests;
        const usB = ((cpu2 - cpu1) * 1000) / b.requests;
        vhost.push(a.rps);
        minimal.push(b.rps);
        ratios.push(a.rps / b.rps);
        cpuRatios.push(usB / usA);
        console.log(
          `${p} round ${round}: vhost ${fmt(a.rps, 0)} req/s (${fmt(usA, 1)} µs CPU/req), minimal ${fmt(b.rps, 0)} req/s (${fmt(usB, 1)} µs), ratio ${fmt(a.rps / b.rps, 3)}`,
        );
      }
      perPath[p] = {
        vhost: median(vhost),
        minimal: median(minimal),
        ratio: median(ratios),
        cpuRatio: median(cpuRatios),
      };
    }
    const worst = Math.min(...Object.values(perPath).map((r) => r.ratio));
    console.log(
      `\nmedians over ${ROUNDS} rounds of ${SECONDS} s, wrk -t1 -c${CONNECTIONS}, pcre_jit ${JIT ? "on" : "off"}:`,
    );
    for (const [p, r] of Object.entries(perPath)) {
      console.log(
        `${p}: generated vhost ${fmt(r.vhost, 0)} req/s, minimal server block ${fmt(r.minimal, 0)} req/s, ratio ${fmt(r.ratio, 3)}; CPU per request minimal/vhost ${fmt(r.cpuRatio, 3)}`,
      );
    }
    const met = worst >= 0.95 && failures === 0;
    console.log(
      `worst ratio ${fmt(worst, 3)} (target >= 0.95), ${failures} failed requests: ${met ? "MET" : "MISSED"}`,
    );
    emitResult("edge-overhead", {
      pcreJit: JIT,
      rounds: ROUNDS,
      seconds: SECONDS,
      connections: CONNECTIONS,
      perPath,
      worst,
      failures,
      met,
    });
    if (!met) process.exitCode = 1;
  } finally {
    await server?.stop();
    await ngx.stop();
    removeDir(work);
  }
}

await main();
