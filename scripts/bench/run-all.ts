/**
 * Runs every benchmark, one at a time, each in its own process (so one's memory
 * or leftover work cannot colour the next), then prints a summary of the
 * targets. Exits non-zero if any benchmark failed.
 *
 * Usage: npm run bench   (or: node scripts/bench/run-all.ts [name ...])
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fmt, ROOT } from "./lib.ts";

const ALL = ["deploy-latency", "rollback-latency", "serve-throughput", "memory"];
ALL.push("webhook-ack", "push-to-live"); // builds from git (docs/PERFORMANCE.md, Builds)
ALL.push("edge-zero-downtime", "edge-overhead", "edge-scale"); // nginx mode: needs nginx and wrk
ALL.push("report-ingest", "dashboard-load"); // error reports and the dashboard
ALL.push("k8s-rollout", "k8s-watch"); // containers, against the fake Kubernetes API
ALL.push("stalls", "startup"); // event-loop delay under load, start-up and idle footprint
ALL.push("jobs-start-latency", "jobs-output-throughput", "jobs-cron-scale"); // jobs: needs bubblewrap

type Result = Record<string, unknown> & { name: string };

function run(name: string): Promise<{ code: number; result: Result | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts/bench", `${name}.ts`)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on("exit", (code, signal) => {
      const line = out.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
      const result = line ? (JSON.parse(line.slice("BENCH_RESULT ".length)) as Result) : null;
      resolve({ code: code ?? (signal ? 128 : 1), result });
    });
  });
}

function summarize(r: Result): string {
  const n = (k: string) => Number(r[k]);
  switch (r.name) {
    case "deploy-latency":
      return `berth ${fmt(n("berthMs"), 0)} ms vs unzip ${fmt(n("unzipMs"), 0)} ms (medians); berth/unzip ${fmt(n("medianOfRatios"), 2)} paired, ${fmt(n("ratioOfMedians"), 2)} of medians; target <= 1.5 ${r.met ? "MET" : "MISSED"}; CPU berth/unzip ${fmt(Number((r.cpu as Record<string, number>).ratio), 2)}`;
    case "rollback-latency": {
      const s = r.small as Record<string, number>;
      const l = r.large as Record<string, number>;
      return `10 files: median ${fmt(s.medianMs ?? Number.NaN)} ms p95 ${fmt(s.p95Ms ?? Number.NaN)} ms; 10,000 files: median ${fmt(l.medianMs ?? Number.NaN)} ms p95 ${fmt(l.p95Ms ?? Number.NaN)} ms; large/small ${fmt(n("sizeRatio"), 2)}; target <= 50 ms ${r.met ? "MET" : "MISSED"}`;
    }
    case "serve-throughput":
      return `berth ${fmt(n("berthRps"), 0)} req/s vs hono serveStatic ${fmt(n("honoRps"), 0)} req/s; ratio ${fmt(n("ratio"), 2)}; all ${n("responses")} responses 200`;
    case "memory":
      return `idle ${fmt(n("idleRssMiB"), 0)} MiB, peak ${fmt(n("peakRssMiB"), 0)} MiB for a ${fmt(n("bundleMiB"), 0)} MiB bundle; peak/bundle ${fmt(n("peakOverBundle"), 2)}, (peak-idle)/bundle ${fmt(n("growthOverBundle"), 2)}`;
    default:
      return JSON.stringify(r);
  }
}

const picked = process.argv.slice(2);
const unknown = picked.filter((p) => !ALL.includes(p));
if (unknown.length > 0) {
  process.stderr.write(
    `run-all: unknown benchmark ${unknown.join(", ")}; choose from ${ALL.join(", ")}\n`,
  );
  process.exit(2);
}
const names = picked.length > 0 ? picked : ALL;
const lines: string[] = [];
let failed = 0;
for (const name of names) {
  console.log(`\n=== ${name} ===`);
  const { code, result } = await run(name);
  if (code !== 0 || !result) {
    failed += 1;
    lines.push(`${name}: FAILED (exit ${code})`);
  } else {
    lines.push(`${name}: ${summarize(result)}`);
  }
}
console.log(
  `\n=== summary (node ${process.version}, ${os.availableParallelism()} cores, load ${os
    .loadavg()
    .map((l) => fmt(l, 1))
    .join(" ")}) ===`,
);
for (const line of lines) console.log(line);
process.exit(failed > 0 ? 1 : 0);
