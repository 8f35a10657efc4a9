/**
 * Preloaded into the Berth server by report-ingest.ts (NODE_OPTIONS=--import): measures
 * the event loop's delay, and on SIGUSR2 writes its percentiles (ms) to BENCH_ELD_FILE
 * and starts afresh. Nothing of Berth is changed by it.
 */
import fs from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const file = process.env.BENCH_ELD_FILE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  process.on("SIGUSR2", () => {
    const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
    const out = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
    fs.writeFileSync(file, JSON.stringify(out));
    h.reset();
  });
}
