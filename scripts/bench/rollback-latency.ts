/**
 * Rollback latency: from the start of the rollback API call to the old
 * content being served (GET / by Host carrying the old release's marker),
 * for a 10-file release and a 10,000-file release (two services), rolling
 * back and forth between two releases, the two sizes interleaved.
 *
 * Usage: node scripts/bench/rollback-latency.ts   (BENCH_ROLLBACKS=30 per size by default, min 20)
 */
import path from "node:path";
import { fetchSite, type RunningServer } from "../../test/helpers/server.ts";
import {
  api,
  createService,
  emitResult,
  fmt,
  makeZip,
  median,
  now,
  percentile,
  removeDir,
  siteFiles,
  sleep,
  startBerth,
  tempDir,
  upload,
  waitLive,
} from "./lib.ts";

const ROLLBACKS = Math.max(20, Number(process.env.BENCH_ROLLBACKS ?? 30));
const TARGET_MS = 50;
const SIZES = [
  { label: "small", service: "rb-small", files: 10 },
  { label: "large", service: "rb-large", files: 10_000 },
] as const;

type Release = { id: string; marker: string };
type Site = {
  label: string;
  service: string;
  host: string;
  releases: [Release, Release];
  total: number[];
  call: number[];
};

async function deploy(
  server: RunningServer,
  service: string,
  files: number,
  marker: string,
): Promise<Release> {
  const zip = makeZip(
    siteFiles({ files, textBytes: files * 2048, binaryBytes: 0, marker, seed: files }),
  );
  const up = await upload(server.port, service, zip);
  await waitLive(server.url, up.id);
  return { id: up.id, marker };
}

async function served(
  server: RunningServer,
  host: string,
  marker: string,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const res = await fetchSite(server, host, "/");
    if (res.status === 200 && res.body.includes(marker)) return now();
    if (now() > deadline) throw new Error(`${host} did not serve ${marker} within ${timeoutMs} ms`);
    await sleep(1);
  }
}

async function main(): Promise<void> {
  const work = tempDir("rollback");
  let server: RunningServer | undefined;
  try {
    server = await startBerth(path.join(work, "data"));
    const sites: Site[] = [];
    for (const size of SIZES) {
      await createService(server.url, size.service);
      const t0 = now();
      const a = await deploy(
        server,
        size.service,
        size.files,
        `rollback-${size.label}-A-${process.pid}`,
      );
      const b = await deploy(
        server,
        size.service,
        size.files,
        `rollback-${size.label}-B-${process.pid}`,
      );
      console.log(
        `${size.label}: deployed 2 releases of ${size.files} files in ${fmt(now() - t0, 0)} ms`,
      );
      const host = `production--${size.service}.localhost`;
      sites.push({ ...size, host, releases: [a, b], total: [], call: [] });
    }

    // B is live; rollback k goes to A, then B, then A... (each a valid rollback target)
    for (let k = 0; k <= ROLLBACKS; k++) {
      for (const site of k % 2 ? [...sites].reverse() : sites) {
        const target = site.releases[k % 2 === 0 ? 0 : 1];
        const t0 = now();
        const res = await api(
          server.url,
          `/services/${site.service}/environments/production/rollback`,
          "POST",
          { deploymentId: target.id },
        );
        const answered = now();
        if (res.status !== 200)
          throw new Error(
            `rollback of ${site.service} answered ${res.status}: ${JSON.stringify(res.json)}`,
          );
        const t1 = await served(server, site.host, target.marker);
        if (k === 0) continue; // warm-up
        site.total.push(t1 - t0);
        site.call.push(answered - t0);
      }
    }

    const stats = sites.map((s) => ({
      label: s.label,
      files: s.label === "small" ? 10 : 10_000,
      medianMs: median(s.total),
      p95Ms: percentile(s.total, 95),
      apiMedianMs: median(s.call),
      rollbacks: s.total.length,
    }));
    const [small, large] = stats as [(typeof stats)[number], (typeof stats)[number]];
    const sizeRatio = large.medianMs / small.medianMs;
    for (const s of stats) {
      console.log(
        `${s.label} (${s.files} files): median ${fmt(s.medianMs)} ms, p95 ${fmt(s.p95Ms)} ms, API answer median ${fmt(s.apiMedianMs)} ms over ${s.rollbacks} rollbacks`,
      );
    }
    const met = Math.max(small.medianMs, large.medianMs) <= TARGET_MS;
    console.log(
      `ratio large/small (medians): ${fmt(sizeRatio, 2)}; target median <= ${TARGET_MS} ms: ${met ? "MET" : "MISSED"}`,
    );
    emitResult("rollback-latency", { small, large, sizeRatio, targetMs: TARGET_MS, met });
  } finally {
    await server?.stop();
    removeDir(work);
  }
}

await main();
