/**
 * Sandbox overhead: the time to run `/usr/bin/true` through the sandbox adapter
 * (bwrap with its namespaces, mount view and prlimit; as nobody when run as root)
 * against the same runner spawning `/usr/bin/true` directly, interleaved run by run.
 * Reports the median and p95 of each and the ratio of the medians; the sandbox adds a
 * fixed cost per command, so what matters is the difference in ms next to a build.
 *
 * Usage: node scripts/bench/sandbox-overhead.ts   (BENCH_RUNS=30, min 10)
 */
import os from "node:os";
import path from "node:path";
import { runProcess } from "../../src/adapters/process/index.ts";
import { createSandbox, DEFAULT_LIMITS } from "../../src/adapters/sandbox/index.ts";
import { fmt, median, now, percentile, removeDir, tempDir } from "./lib.ts";

const RUNS = Math.max(10, Number(process.env.BENCH_RUNS ?? 30));

const base = {
  env: { PATH: "/usr/bin:/bin" },
  timeoutMs: 10_000,
  maxOutputBytes: 4096,
  secrets: [],
  onOutput: () => undefined,
};

async function main() {
  const root = tempDir("berth-bench-sandbox-");
  try {
    const { chmodSync } = await import("node:fs");
    chmodSync(root, 0o711);
    const sandbox = createSandbox({ mode: "on", limits: DEFAULT_LIMITS });
    const ready = await sandbox.check();
    if (!ready.ok) throw new Error(ready.message);
    const work = path.join(root, "work", "w");
    await sandbox.makeWorkDir(work);
    await sandbox.handOver(work);
    const direct: number[] = [];
    const sandboxed: number[] = [];
    for (let i = -2; i < RUNS; i++) {
      let t = now();
      const a = await runProcess({ ...base, argv: ["/usr/bin/true"], cwd: root });
      const d = now() - t;
      t = now();
      const b = await sandbox.run({ ...base, workDir: work, argv: ["/usr/bin/true"] }).result;
      const s = now() - t;
      if (a.exitCode !== 0 || b.exitCode !== 0) throw new Error("true failed");
      if (i >= 0) {
        direct.push(d);
        sandboxed.push(s);
      }
    }
    const line = (name: string, xs: number[]) =>
      `${name.padEnd(10)} median ${fmt(median(xs), 2)} ms  p95 ${fmt(percentile(xs, 95), 2)} ms`;
    process.stdout.write(
      [
        `sandbox overhead, ${RUNS} runs of /usr/bin/true each, ${os.cpus().length} cores, uid ${process.getuid?.()}`,
        line("direct", direct),
        line("sandboxed", sandboxed),
        `difference ${fmt(median(sandboxed) - median(direct), 2)} ms, ratio ${fmt(median(sandboxed) / median(direct), 2)}`,
        "",
      ].join("\n"),
    );
  } finally {
    removeDir(root);
  }
}

await main();
