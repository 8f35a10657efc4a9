/**
 * Preloaded into a benchmarked server (`NODE_OPTIONS=--import <this file>`, see
 * `loopProbeEnv` in loop.ts): watches the event loop with
 * perf_hooks.monitorEventLoopDelay (10 ms resolution) and, on SIGUSR2, writes
 * the delay percentiles since the previous SIGUSR2 to BENCH_LOOP_FILE, then
 * starts over. Nothing of Berth's own code changes.
 */
import { renameSync, writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const file = process.env.BENCH_LOOP_FILE;
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
const ms = (ns: number) => ns / 1e6;

process.on("SIGUSR2", () => {
  if (file) {
    const result = {
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      samples: histogram.count,
    };
    // written whole, then renamed, so the reader never sees half a file
    writeFileSync(`${file}.tmp`, JSON.stringify(result));
    renameSync(`${file}.tmp`, file);
  }
  histogram.reset();
});
