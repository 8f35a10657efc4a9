/**
 * Stalls: how long the server's event loop is blocked, and how /healthz answers,
 * while it works. One server (with loop-probe.ts preloaded) goes through phases;
 * in each, /healthz is polled one request at a time (~10 ms apart) and RSS is
 * sampled every 20 ms. Per phase: the server's own event-loop delay (p99, max,
 * from perf_hooks.monitorEventLoopDelay), the /healthz latency (p50, p99, max)
 * and its p99 as a ratio to the idle phase's p99 in the same run, and peak RSS.
 *
 * Phases: idle; deploy of 1,000 files / 20 MiB; deploy of a ~200 MiB stored zip;
 * a zip bomb (12 MB inflating to 1.75 GiB) whose headers tell the truth, one that
 * understates every size, and a tar.gz bomb (refused as it streams, at the
 * uncompressed limit, 1 GiB here); then the deployment list and the OpenAPI
 * document as JSON answers.
 *
 * Usage: node scripts/bench/stalls.ts   (BENCH_BUNDLE_MIB=200)
 */
import fs from "node:fs";
import { request } from "node:http";
import path from "node:path";
import type { RunningServer } from "../../test/helpers/server.ts";
import { writeTarBomb, writeZipBomb } from "./bombs.ts";
import {
  api,
  bigStoredSite,
  createService,
  emitResult,
  fmt,
  MiB,
  makeZip,
  now,
  percentile,
  procMemory,
  removeDir,
  siteFiles,
  sleep,
  startBerth,
  tempDir,
  upload,
  waitLive,
  writeStoredZip,
} from "./lib.ts";
import { type LoopDelay, loopProbeEnv, loopRead, loopReset, startIdleReference } from "./loop.ts";

const BUNDLE_MIB = Math.max(16, Number(process.env.BENCH_BUNDLE_MIB ?? 200));
const TARGET_LOOP_MS = 50;

type Phase = {
  name: string;
  loop: LoopDelay;
  /** The same probe in an idle Node process over the same interval: machine noise. */
  reference: LoopDelay;
  healthz: { n: number; p50: number; p99: number; max: number };
  peakRssMiB: number;
  seconds: number;
  outcome: string;
};

/** Sends a file as a bundle and answers with the status and error code, whatever they are. */
function send(port: number, file: string, type: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/api/v1/services/stall/environments/production/deployments",
        headers: {
          authorization: `Bearer ${process.env.BENCH_BEARER ?? ""}`,
          "content-type": type,
          "content-length": String(fs.statSync(file).size),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => {
          const code = (JSON.parse(text) as { error?: { code: string } }).error?.code ?? "";
          resolve(`${res.statusCode} ${code}`.trim());
        });
      },
    );
    req.on("error", reject);
    fs.createReadStream(file).on("error", reject).pipe(req);
  });
}

type Probes = { server: RunningServer; file: string; refPid: number; refFile: string };

async function phase(probes: Probes, name: string, work: () => Promise<string>): Promise<Phase> {
  const { server } = probes;
  await loopReset(server.pid, probes.file);
  await loopReset(probes.refPid, probes.refFile);
  const latencies: number[] = [];
  let peakKiB = 0;
  let done = false;
  const sampler = setInterval(() => {
    peakKiB = Math.max(peakKiB, procMemory(server.pid).rssKiB);
  }, 20);
  const poller = (async () => {
    while (!done) {
      const t0 = now();
      await fetch(`${server.url}/healthz`).then((r) => r.arrayBuffer());
      latencies.push(now() - t0);
      await sleep(10);
    }
  })();
  const t0 = now();
  try {
    const outcome = await work();
    const seconds = (now() - t0) / 1000;
    done = true;
    await poller;
    const loop = await loopRead(server.pid, probes.file);
    const reference = await loopRead(probes.refPid, probes.refFile);
    const result: Phase = {
      name,
      loop,
      reference,
      healthz: {
        n: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
      },
      peakRssMiB: peakKiB / 1024,
      seconds,
      outcome,
    };
    console.log(
      `${name.padEnd(34)} loop p99 ${fmt(loop.p99)} max ${fmt(loop.max)} ms (idle node: ${fmt(reference.p99)} / ${fmt(reference.max)}) | healthz p50 ${fmt(result.healthz.p50)} p99 ${fmt(result.healthz.p99)} max ${fmt(result.healthz.max)} ms (${result.healthz.n}) | peak RSS ${fmt(result.peakRssMiB)} MiB | ${fmt(seconds, 1)} s | ${outcome}`,
    );
    return result;
  } finally {
    done = true;
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  const work = tempDir("stalls");
  let server: RunningServer | undefined;
  const ref = startIdleReference(path.join(work, "ref.json"));
  try {
    const loopFile = path.join(work, "loop.json");
    const small = path.join(work, "site.zip");
    fs.writeFileSync(
      small,
      makeZip(siteFiles({ files: 1000, textBytes: 28 * MiB, binaryBytes: 10 * MiB, marker: "" })),
    );
    const big = path.join(work, "big.zip");
    const bigBytes = writeStoredZip(big, bigStoredSite(BUNDLE_MIB));
    const honest = path.join(work, "bomb.zip");
    const bomb = writeZipBomb(honest, false);
    const liar = path.join(work, "liar.zip");
    writeZipBomb(liar, true);
    const tarBomb = path.join(work, "bomb.tar.gz");
    writeTarBomb(tarBomb);
    console.log(
      `bundles: site ${fmt(fs.statSync(small).size / MiB)} MiB, big ${fmt(bigBytes / MiB)} MiB, bombs ${fmt(bomb.bytes / MiB)} MiB inflating to ${fmt(bomb.inflates / MiB)} MiB`,
    );

    server = await startBerth(path.join(work, "data"), {
      ...loopProbeEnv(loopFile),
      BERTH_MAX_BUNDLE_BYTES: String(1024 * MiB),
      BERTH_MAX_UNCOMPRESSED_BYTES: String(1024 * MiB),
    });
    process.env.BENCH_BEARER = server.key;
    await createService(server.url, "stall");
    await sleep(1000);
    const s = server;
    const probes = {
      server: s,
      file: loopFile,
      refPid: ref.pid,
      refFile: path.join(work, "ref.json"),
    };
    const deployed = async (file: string) => {
      const up = await upload(s.port, "stall", file);
      await waitLive(s.url, up.id, 600_000);
      return "live";
    };
    const phases: Phase[] = [];
    phases.push(await phase(probes, "idle (3 s)", () => sleep(3000).then(() => "-")));
    phases.push(await phase(probes, "deploy 1,000 files / 20 MiB", () => deployed(small)));
    phases.push(await phase(probes, `deploy ${BUNDLE_MIB} MiB stored`, () => deployed(big)));
    phases.push(
      await phase(probes, "zip bomb, true sizes", () => send(s.port, honest, "application/zip")),
    );
    phases.push(
      await phase(probes, "zip bomb, understated sizes", () =>
        send(s.port, liar, "application/zip"),
      ),
    );
    phases.push(
      await phase(probes, "tar.gz bomb (streams to 1 GiB)", () =>
        send(s.port, tarBomb, "application/gzip"),
      ),
    );
    phases.push(
      await phase(probes, "list deployments (JSON) x20", async () => {
        for (let i = 0; i < 20; i++)
          await api(s.url, "/services/stall/environments/production/deployments");
        return "200";
      }),
    );
    const openapi = async (times: number) => {
      for (let i = 0; i < times; i++) {
        const res = await fetch(`${s.url}/api/openapi.json`, {
          headers: { authorization: `Bearer ${s.key}` },
        });
        await res.arrayBuffer();
      }
      return "200";
    };
    // built on its first request, once per process; then served from memory
    phases.push(await phase(probes, "GET /api/openapi.json, first", () => openapi(1)));
    phases.push(await phase(probes, "GET /api/openapi.json x10", () => openapi(10)));
    const idle = phases[0] as Phase;
    const worst = phases.reduce((a, b) => (b.loop.max > a.loop.max ? b : a));
    const result = {
      phases: phases.map((p) => ({ ...p, healthzP99OverIdle: p.healthz.p99 / idle.healthz.p99 })),
      worstLoopMaxMs: worst.loop.max,
      worstPhase: worst.name,
      met: phases.every((p) => p.loop.max <= TARGET_LOOP_MS),
    };
    console.log(
      `worst loop delay ${fmt(worst.loop.max)} ms (${worst.name}); target every phase max <= ${TARGET_LOOP_MS} ms: ${result.met ? "MET" : "MISSED"}`,
    );
    emitResult("stalls", result);
  } finally {
    ref.stop();
    await server?.stop();
    removeDir(work);
  }
}

await main();
