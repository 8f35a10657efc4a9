/**
 * Zero downtime through nginx: wrk keeps >= 100 connections busy on a site served by the
 * generated vhost for 30 s while 20 deploys and 5 rollbacks happen. Pass: wrk counts 0
 * non-2xx answers and 0 socket errors, and every body a concurrent Node sampler reads is
 * exactly one release (each index.html carries its release number and the SHA-256 of the
 * rest of the page, so a torn or mixed body fails), and nginx never reloaded.
 *
 * Usage: node scripts/bench/edge-zero-downtime.ts
 *   (BENCH_SECONDS=30, BENCH_CONNECTIONS=100, BENCH_DEPLOYS=20, BENCH_ROLLBACKS=5)
 */
import { createHash } from "node:crypto";
import http from "node:http";
import path from "node:path";
import type { RunningServer } from "../../test/helpers/server.ts";
import { type PrivateNginx, runWrk, startBerthWithNginx, startNginx } from "./edge-lib.ts";
import {
  api,
  createService,
  emitResult,
  fmt,
  makeZip,
  removeDir,
  requireTool,
  sleep,
  tempDir,
  upload,
  waitLive,
  webText,
} from "./lib.ts";

const SECONDS = Math.max(10, Number(process.env.BENCH_SECONDS ?? 30));
const CONNECTIONS = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 100));
const DEPLOYS = Math.max(1, Number(process.env.BENCH_DEPLOYS ?? 20));
const ROLLBACKS = Math.max(0, Number(process.env.BENCH_ROLLBACKS ?? 5));
const SERVICE = "zd";
const HOST = `production--${SERVICE}.localhost`;
const PAGE_BYTES = 16 * 1024;

/** Release n's index.html: a page, then a trailer naming n and the hash of the page. */
function page(n: number): Buffer {
  const body = Buffer.concat([
    Buffer.from(`<!doctype html><title>release ${n}</title>\n`),
    webText(1000 + n, PAGE_BYTES, "html"),
  ]);
  const sha = createHash("sha256").update(body).digest("hex");
  return Buffer.concat([body, Buffer.from(`\n<!-- release=${n} sha256=${sha} -->\n`)]);
}

/** The release a body is from, or null when it is not exactly one release's page. */
function releaseOf(body: Buffer): number | null {
  const text = body.toString("latin1");
  const m = /\n<!-- release=(\d+) sha256=([0-9a-f]{64}) -->\n$/.exec(text);
  if (!m) return null;
  const content = body.subarray(0, body.length - m[0].length);
  const sha = createHash("sha256").update(content).digest("hex");
  if (sha !== m[2]) return null;
  return text.startsWith(`<!doctype html><title>release ${m[1]}</title>\n`) ? Number(m[1]) : null;
}

type Sample = {
  ok: number;
  torn: number;
  non200: number;
  errors: number;
  seen: Map<number, number>;
};

/** Reads the page over keep-alive connections until `stop()`, checking every body. */
function sampler(ngx: PrivateNginx, workers: number): { stop: () => Promise<Sample> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const s: Sample = { ok: 0, torn: 0, non200: 0, errors: 0, seen: new Map() };
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get(
        { host: "127.0.0.1", port: ngx.port, path: "/", headers: { host: HOST }, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            if (res.statusCode !== 200) s.non200++;
            else {
              const n = releaseOf(Buffer.concat(chunks));
              if (n === null) s.torn++;
              else {
                s.ok++;
                s.seen.set(n, (s.seen.get(n) ?? 0) + 1);
              }
            }
            resolve();
          });
          res.on("error", () => {
            s.errors++;
            resolve();
          });
        },
      );
      req.on("error", () => {
        s.errors++;
        resolve();
      });
    });
  const loops = Array.from({ length: workers }, async () => {
    while (running) await one();
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return s;
    },
  };
}

async function main(): Promise<void> {
  const wrkBin = requireTool("wrk", "apt-get install -y wrk");
  const work = tempDir("edge-zd");
  const ngx = await startNginx();
  let server: RunningServer | undefined;
  try {
    server = await startBerthWithNginx(path.join(work, "data"), ngx);
    await createService(server.url, SERVICE);
    const zips = Array.from({ length: DEPLOYS + 1 }, (_, n) => makeZip([["index.html", page(n)]]));
    const ids: string[] = [];
    const first = await upload(server.port, SERVICE, zips[0] as Buffer);
    await waitLive(server.url, first.id);
    ids.push(first.id);
    await ngx.idle();
    const check = await ngx.request(HOST, "/");
    if (releaseOf(check.bytes) !== 0)
      throw new Error(`nginx does not serve release 0: ${check.status}`);
    const workers = ngx.workerPids().join(",");

    const load = runWrk(wrkBin, {
      url: `http://127.0.0.1:${ngx.port}/`,
      host: HOST,
      seconds: SECONDS,
      connections: CONNECTIONS,
      threads: 2,
    });
    const sample = sampler(ngx, 4);
    await sleep(1000);

    // 20 deploys and 5 rollbacks spread over the run, leaving a couple of seconds at the end
    const steps = DEPLOYS + ROLLBACKS;
    const gap = ((SECONDS - 3) * 1000) / steps;
    const rollbackEvery = ROLLBACKS > 0 ? Math.floor(steps / ROLLBACKS) : Number.POSITIVE_INFINITY;
    let deploys = 0;
    let rollbacks = 0;
    const switchMs: number[] = [];
    for (let step = 1; step <= steps; step++) {
      const started = performance.now();
      if ((step % rollbackEvery === 0 && rollbacks < ROLLBACKS) || deploys >= DEPLOYS) {
        // the release before the newest: still on disk (older ones are pruned past retention)
        const target = ids[ids.length - 2] as string;
        const res = await api(
          server.url,
          `/services/${SERVICE}/environments/production/rollback`,
          "POST",
          {
            deploymentId: target,
          },
        );
        if (res.status >= 300)
          throw new Error(`rollback: ${res.status} ${JSON.stringify(res.json)}`);
        rollbacks++;
      } else {
        deploys++;
        const d = await upload(server.port, SERVICE, zips[deploys] as Buffer);
        await waitLive(server.url, d.id);
        ids.push(d.id);
      }
      switchMs.push(performance.now() - started);
      await sleep(Math.max(0, gap - (performance.now() - started)));
    }
    const totals = await load;
    const sampled = await sample.stop();
    const reloaded = ngx.workerPids().join(",") !== workers;
    const releasesSeen = [...sampled.seen.keys()].sort((a, b) => a - b);

    console.log(totals.output.trim());
    console.log(
      `\nwrk -t2 -c${CONNECTIONS} -d${SECONDS}s: ${totals.requests} requests (${fmt(totals.rps, 0)} req/s), ${totals.non2xx} non-2xx/3xx, ${totals.socketErrors} socket errors`,
    );
    console.log(
      `${deploys} deploys and ${rollbacks} rollbacks during the run; sampler read ${sampled.ok + sampled.torn} bodies: ${sampled.torn} not exactly one release, ${sampled.non200} non-200, ${sampled.errors} errors; releases seen: ${releasesSeen.join(" ")}; nginx reloaded: ${reloaded}`,
    );
    const result = {
      seconds: SECONDS,
      connections: CONNECTIONS,
      requests: totals.requests,
      rps: totals.rps,
      non2xx: totals.non2xx,
      socketErrors: totals.socketErrors,
      deploys,
      rollbacks,
      sampledBodies: sampled.ok + sampled.torn,
      tornBodies: sampled.torn,
      samplerNon200: sampled.non200,
      samplerErrors: sampled.errors,
      releasesSeen: releasesSeen.length,
      reloaded,
      met:
        totals.non2xx === 0 &&
        totals.socketErrors === 0 &&
        sampled.torn === 0 &&
        sampled.non200 === 0 &&
        sampled.errors === 0 &&
        deploys === DEPLOYS &&
        rollbacks === ROLLBACKS &&
        !reloaded,
    };
    console.log(result.met ? "zero downtime: MET" : "zero downtime: MISSED");
    emitResult("edge-zero-downtime", result);
    if (!result.met) process.exitCode = 1;
  } finally {
    await server?.stop();
    await ngx.stop();
    removeDir(work);
  }
}

await main();
