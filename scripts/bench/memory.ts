/**
 * Server memory: idle RSS of a started Berth, then its peak RSS (VmHWM) while
 * it takes a ~200 MiB zip of mostly incompressible content (stored entries,
 * written to a temp file entry by entry, so this process stays small) from
 * upload to live. RSS is also sampled every 20 ms to say in which phase the
 * peak falls: upload (body streaming in), validate (until the 202), pipeline
 * (extract, activate, until live).
 *
 * Usage: node scripts/bench/memory.ts   (BENCH_BUNDLE_MIB=200)
 */
import fs from "node:fs";
import path from "node:path";
import type { RunningServer } from "../../test/helpers/server.ts";
import {
  bigStoredSite,
  createService,
  emitResult,
  fmt,
  MiB,
  now,
  procMemory,
  removeDir,
  sleep,
  startBerth,
  tempDir,
  upload,
  waitLive,
  writeStoredZip,
} from "./lib.ts";

const BUNDLE_MIB = Math.max(16, Number(process.env.BENCH_BUNDLE_MIB ?? 200));
const bigSite = () => bigStoredSite(BUNDLE_MIB);

/** Lets the kernel restart VmHWM from the current RSS (echo 5 > clear_refs); false if not allowed. */
function resetPeak(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

const mib = (kib: number) => kib / 1024;

async function main(): Promise<void> {
  const work = tempDir("memory");
  let server: RunningServer | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const zipFile = path.join(work, "big.zip");
    const t0 = now();
    const zipBytes = writeStoredZip(zipFile, bigSite());
    console.log(`generated a ${fmt(zipBytes / MiB)} MiB stored zip in ${fmt(now() - t0, 0)} ms`);

    server = await startBerth(path.join(work, "data"), {
      BERTH_MAX_BUNDLE_BYTES: String(1024 * MiB),
      BERTH_MAX_UNCOMPRESSED_BYTES: String(4096 * MiB),
      BERTH_MAX_ENTRIES: "100000",
      BERTH_MAX_COMPRESSION_RATIO: "1000",
    });
    await createService(server.url, "mem");
    await sleep(2000); // let start-up garbage settle
    const idle = procMemory(server.pid);
    const resetWorked = resetPeak(server.pid);

    const phases: Record<string, number> = { upload: 0, validate: 0, pipeline: 0 };
    let phase = "upload";
    const pid = server.pid;
    sampler = setInterval(() => {
      const { rssKiB } = procMemory(pid);
      phases[phase] = Math.max(phases[phase] ?? 0, rssKiB);
    }, 20);
    const started = now();
    const up = await upload(server.port, "mem", zipFile, () => {
      phase = "validate";
    });
    phase = "pipeline";
    await waitLive(server.url, up.id, 600_000);
    const elapsed = now() - started;
    clearInterval(sampler);
    const after = procMemory(server.pid);

    const peakKiB = after.hwmKiB;
    const result = {
      bundleMiB: zipBytes / MiB,
      idleRssMiB: mib(idle.rssKiB),
      startupHwmMiB: mib(idle.hwmKiB),
      peakRssMiB: mib(peakKiB),
      peakOverBundle: (peakKiB * 1024) / zipBytes,
      growthOverBundle: ((peakKiB - idle.rssKiB) * 1024) / zipBytes,
      sampledPeakMiBByPhase: Object.fromEntries(
        Object.entries(phases).map(([k, v]) => [k, mib(v)]),
      ),
      deploySeconds: elapsed / 1000,
      peakResetAfterIdle: resetWorked,
    };
    console.log(
      `idle RSS ${fmt(result.idleRssMiB)} MiB (start-up VmHWM ${fmt(result.startupHwmMiB)} MiB)`,
    );
    console.log(
      `peak RSS (VmHWM) during the ${fmt(result.bundleMiB)} MiB deploy: ${fmt(result.peakRssMiB)} MiB`,
    );
    console.log(
      `peak / bundle ${fmt(result.peakOverBundle, 2)}; (peak - idle) / bundle ${fmt(result.growthOverBundle, 2)}`,
    );
    console.log(
      `sampled RSS peak by phase (MiB): ${Object.entries(result.sampledPeakMiBByPhase)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(", ")}; upload to live ${fmt(result.deploySeconds, 1)} s`,
    );
    emitResult("memory", result);
  } finally {
    if (sampler) clearInterval(sampler);
    await server?.stop();
    removeDir(work);
  }
}

await main();
