/**
 * 1,000 jobs on cron schedules: every job fires at second 0 of each minute (so the
 * scheduler handles 1,000 fires at once), and the runs execute in the
 * sandbox. Firing drift = a run's creation time minus its scheduled time, over every
 * fire of two rounds (p50, p99). CPU between fires = the server's CPU time over the
 * ten seconds before the next fire, once the runs of the last one have ended.
 *
 * Usage: node scripts/bench/jobs-cron-scale.ts
 */
import path from "node:path";
import { makeJob } from "./jobs-lib.ts";
import {
  api,
  cpuMs,
  emitResult,
  fmt,
  percentile,
  removeDir,
  sleep,
  startBerth,
  tempDir,
} from "./lib.ts";

const JOBS = 1000;
const PERIOD = 60_000;
type Run = { createdAt: string; scheduledFor: string | null; status: string; terminal: boolean };

const dir = tempDir("jobs-cron");
const server = await startBerth(path.join(dir, "data"));
try {
  const base = server.url;
  await makeJob(base, "tick-0", "true", { cron: "0 * * * * *", retention: 5 });
  for (let i = 1; i < JOBS; i++) {
    const { status } = await api(base, "/jobs", "POST", {
      name: `tick-${i}`,
      template: "tick-0",
      cron: "0 * * * * *",
      retention: 5,
    });
    if (status !== 201) throw new Error(`job ${i}: ${status}`);
  }
  // two rounds of fires; the CPU reading is taken in the quiet before each next fire
  const drift: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < 2; round++) {
    const next = Math.ceil((Date.now() + 1000) / PERIOD) * PERIOD;
    await sleep(next - Date.now() + 100);
    // wait for the runs of this fire to end (they queue behind 4 workers)
    for (;;) {
      const { json } = await api<{ items: Run[] }>(base, "/runs?status=queued,running&limit=1");
      if (json.items.length === 0) break;
      await sleep(500);
    }
    const quietStart = next + PERIOD - 10_500;
    if (Date.now() > quietStart)
      throw new Error("the runs of one fire took over 49 s: no quiet window");
    await sleep(quietStart - Date.now());
    const a = cpuMs(server.pid).own;
    const t0 = performance.now();
    await sleep(10_000);
    const busyMs = cpuMs(server.pid).own - a;
    cpu.push((100 * busyMs) / (performance.now() - t0));
    const { json } = await api<{ items: Run[] }>(
      base,
      `/runs?limit=200&from=${new Date(next - 1000).toISOString()}`,
    );
    void json;
  }
  // every scheduled run made so far, through the API (200 per page)
  let before: string | undefined;
  for (;;) {
    const q = `/runs?limit=200${before ? `&before=${before}` : ""}`;
    const { json } = await api<{ items: (Run & { id: string; trigger: string })[] }>(base, q);
    for (const r of json.items) {
      if (r.trigger === "schedule" && r.scheduledFor)
        drift.push(Date.parse(r.createdAt) - Date.parse(r.scheduledFor));
    }
    if (json.items.length < 200) break;
    before = json.items[json.items.length - 1]?.id;
  }
  const result = {
    jobs: JOBS,
    fires: drift.length,
    driftP50Ms: percentile(drift, 50),
    driftP99Ms: percentile(drift, 99),
    driftMaxMs: Math.max(...drift),
    cpuBetweenFiresPct: Math.max(...cpu),
    met: percentile(drift, 99) < 1000 && Math.max(...cpu) < 5,
  };
  console.log(
    `${JOBS} jobs, ${drift.length} fires: drift p50 ${fmt(result.driftP50Ms, 0)} ms, p99 ${fmt(result.driftP99Ms, 0)} ms, max ${fmt(result.driftMaxMs, 0)} ms (target p99 < 1000); CPU between fires ${cpu.map((c) => fmt(c, 2)).join(", ")} % (target < 5) ${result.met ? "MET" : "MISSED"}`,
  );
  emitResult("jobs-cron-scale", result);
} finally {
  await server.stop();
  removeDir(dir);
}
