/**
 * Deploy latency: a 1,000-file, ~20 MB zip, from the end of the upload to the
 * new content being served, against `unzip -q` of the same archive into a
 * fresh directory in the same run (alternating order, medians over N runs).
 *
 * "End of the upload" = the client request's "finish" event (the req.end()
 * callback): the whole body has been written to the socket. "Served" = the
 * first GET of / by Host header (polled about every 1 ms) whose body carries
 * the marker unique to that deployment.
 *
 * Usage: node scripts/bench/deploy-latency.ts   (BENCH_RUNS=11 by default, min 7)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { extractArchive, inspectArchive } from "../../src/adapters/archive/index.ts";
import { fetchSite, type RunningServer } from "../../test/helpers/server.ts";
import {
  cpuMs,
  createService,
  emitResult,
  fmt,
  MiB,
  makeZip,
  median,
  now,
  releaseLog,
  removeDir,
  requireTool,
  siteFiles,
  sleep,
  startBerth,
  tempDir,
  upload,
  waitLive,
} from "./lib.ts";

const RUNS = Math.max(7, Number(process.env.BENCH_RUNS ?? 11));
const TARGET = 1.5;
const SERVICE = "latency";
const HOST = `production--${SERVICE}.localhost`;
const STEPS = ["answer", "validate", "queue", "extract", "activate"] as const;
const LIMITS = { maxEntries: 50_000, maxUncompressedBytes: 2048 * MiB, maxCompressionRatio: 200 };

function runUnzip(unzip: string, zip: string, dir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(unzip, ["-q", zip, "-d", dir], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(now() - t0) : reject(new Error(`unzip exited ${code}`)),
    );
  });
}

async function pollForMarker(server: RunningServer, marker: string, timeoutMs = 120_000) {
  const deadline = now() + timeoutMs;
  for (let polls = 1; ; polls++) {
    const res = await fetchSite(server, HOST, "/").catch(() => null);
    if (res?.status === 200 && res.body.includes(marker)) return { at: now(), polls };
    if (now() > deadline) throw new Error(`marker ${marker} not served after ${timeoutMs} ms`);
    await sleep(1);
  }
}

/** Wall-clock ms of the first log line whose message starts with `prefix`. */
const lineAt = (lines: { at: string; message: string }[], prefix: string) => {
  const line = lines.find((l) => l.message.startsWith(prefix));
  if (!line) throw new Error(`no release-log line starting "${prefix}"`);
  return Date.parse(line.at);
};

type Sample = Record<
  | "berth"
  | "unzip"
  | "berthCpu"
  | "unzipCpu"
  | "polls"
  | "answer"
  | "validate"
  | "queue"
  | "extract"
  | "activate",
  number
>;

/** One deployment: upload, poll for its marker, then read its release log for the steps. */
async function deployOnce(server: RunningServer, zip: Buffer, marker: string) {
  let polling: Promise<{ at: number; polls: number }> | undefined;
  const cpu0 = cpuMs(server.pid).own;
  const up = await upload(server.port, SERVICE, zip, () => {
    polling = pollForMarker(server, marker);
    polling.catch(() => undefined); // awaited below; this only stops an early unhandled rejection
  });
  const served = await (polling as Promise<{ at: number; polls: number }>);
  const berthCpu = cpuMs(server.pid).own - cpu0;
  await waitLive(server.url, up.id);
  const log = await releaseLog(server.url, up.id);
  // the bundle is unpacked (validated and extracted) before "Received" is logged;
  // "extract" is now the move of the unpacked directory into releases/
  const [received, extracting, extracted] = ["Received", "Moving", "Release ready"].map((p) =>
    lineAt(log, p),
  ) as [number, number, number];
  return {
    berth: served.at - up.sentAt,
    berthCpu,
    polls: served.polls,
    answer: up.answeredAt - up.sentAt,
    validate: received - up.sentWall,
    queue: extracting - received,
    extract: extracted - extracting,
    activate: lineAt(log, "Live in") - extracted,
  };
}

async function main(): Promise<void> {
  const unzip = requireTool("unzip", "apt-get install -y unzip");
  const work = tempDir("deploy");
  let server: RunningServer | undefined;
  try {
    server = await startBerth(path.join(work, "data"));
    await createService(server.url, SERVICE);
    const files = siteFiles({
      files: 1000,
      textBytes: 28 * MiB,
      binaryBytes: 10 * MiB,
      marker: "",
    });
    const samples: Sample[] = [];
    let zipBytes = 0;
    for (let i = 0; i <= RUNS; i++) {
      // run 0 warms both paths up and is not counted; the order alternates to cancel drift
      const marker = `deploy-marker-${process.pid}-${i}`;
      files[0] = [
        "index.html",
        Buffer.from(`<!doctype html><title>${marker}</title><p>${marker}</p>\n`),
      ];
      const zip = makeZip(files);
      zipBytes = zip.length;
      const zipFile = path.join(work, `bundle-${i}.zip`);
      fs.writeFileSync(zipFile, zip);
      const unzipDir = path.join(work, `unzip-${i}`);
      const unzipRun = async () => {
        const cpu0 = cpuMs(process.pid).children;
        const wall = await runUnzip(unzip, zipFile, unzipDir);
        return { unzip: wall, unzipCpu: cpuMs(process.pid).children - cpu0 };
      };
      const u = i % 2 ? await unzipRun() : undefined;
      const b = await deployOnce(server, zip, marker);
      const sample: Sample = { ...b, ...(u ?? (await unzipRun())) };
      removeDir(unzipDir);
      fs.rmSync(zipFile);
      if (i === 0) continue;
      samples.push(sample);
      console.log(
        `run ${i}: berth ${fmt(sample.berth)} ms (cpu ${sample.berthCpu}, ${sample.polls} polls)  unzip ${fmt(sample.unzip)} ms (cpu ${sample.unzipCpu})  ratio ${fmt(sample.berth / sample.unzip, 2)}`,
      );
    }

    // in-process split of the server's archive work on the same bundle (no HTTP, no DB)
    const zipFile = path.join(work, "profile.zip");
    fs.writeFileSync(zipFile, makeZip(files));
    const inspectMs: number[] = [];
    const extractMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      let t0 = now();
      await inspectArchive(zipFile, "zip", LIMITS);
      inspectMs.push(now() - t0);
      const dir = path.join(work, `extract-${i}`);
      t0 = now();
      await extractArchive(zipFile, "zip", dir, LIMITS);
      extractMs.push(now() - t0);
      removeDir(dir);
    }

    const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
    const ratio = median(samples.map((s) => s.berth / s.unzip));
    const result = {
      runs: RUNS,
      zipMiB: zipBytes / MiB,
      berthMs: m("berth"),
      unzipMs: m("unzip"),
      ratioOfMedians: m("berth") / m("unzip"),
      medianOfRatios: ratio,
      target: TARGET,
      met: ratio <= TARGET, // judged on the paired per-run ratios, which cancel drift
      // answer = 202; validate = store + unpack before the first log line; activate includes prune
      steps: Object.fromEntries(STEPS.map((k) => [k, m(k)])),
      cpu: { berthMs: m("berthCpu"), unzipMs: m("unzipCpu"), ratio: m("berthCpu") / m("unzipCpu") },
      polls: m("polls"),
      inProcess: { inspectMs: median(inspectMs), extractMs: median(extractMs) },
    };
    console.log(`\nzip ${fmt(result.zipMiB)} MiB, 1000 files, ${RUNS} runs (medians)`);
    console.log(
      `berth upload end -> served ${fmt(result.berthMs)} ms; unzip -q ${fmt(result.unzipMs)} ms`,
    );
    console.log(
      `ratio berth/unzip: median of per-run ratios ${fmt(ratio, 2)} (ratio of medians ${fmt(result.ratioOfMedians, 2)}), target <= ${TARGET}: ${result.met ? "MET" : "MISSED"}`,
    );
    console.log(`steps (ms, release log): ${STEPS.map((k) => `${k} ${fmt(m(k))}`).join("; ")}`);
    console.log(
      `CPU (ms): server ${fmt(m("berthCpu"), 0)} from upload start to served, incl. answering ${m("polls")} polls; unzip ${fmt(m("unzipCpu"), 0)}; ratio ${fmt(result.cpu.ratio, 2)}`,
    );
    console.log(
      `in-process: inspectArchive ${fmt(result.inProcess.inspectMs)} ms, extractArchive ${fmt(result.inProcess.extractMs)} ms`,
    );
    emitResult("deploy-latency", result);
  } finally {
    await server?.stop();
    removeDir(work);
  }
}

await main();
