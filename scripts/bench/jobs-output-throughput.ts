/**
 * Output throughput: a command writing 200 MB through a job run (sandbox, capture with
 * per-chunk stream and time, head+tail cap, live fan-out) against the same command with
 * `> file` in a plain shell, in the same run, interleaved. Two producers: `yes` cut by
 * `head -c` (output at memory speed: the worst case) and `seq` (a fast real program).
 * Throughput ratio = reference time / Berth's run time (durationMs of the run).
 *
 * Usage: node scripts/bench/jobs-output-throughput.ts
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { makeJob, waitEnded } from "./jobs-lib.ts";
import { api, emitResult, fmt, median, removeDir, startBerth, tempDir } from "./lib.ts";

const N = 5;
const BYTES = 200_000_000;
const producers: Record<string, string> = {
  yes: `yes 'a line of output such as a test runner prints, about eighty characters long ..' | head -c ${BYTES}`,
  seq: "seq 1 30000000",
};

const dir = tempDir("jobs-output");
const server = await startBerth(path.join(dir, "data"));
try {
  const base = server.url;
  const result: Record<string, unknown> = {};
  for (const [name, cmd] of Object.entries(producers)) {
    // a cap above the output: everything is kept, as `> file` keeps it
    await makeJob(base, `out-${name}`, cmd, { outputCapBytes: 1024 ** 3, timeoutSeconds: 600 });
    const berth: number[] = [];
    const ref: number[] = [];
    let bytes = 0;
    for (let i = 0; i <= N; i++) {
      const { json } = await api<{ id: string }>(base, `/jobs/out-${name}/runs`, "POST", {});
      const run = await waitEnded(base, json.id, 50);
      if (run.status !== "succeeded") throw new Error(`run ${run.id} ${run.status}`);
      bytes = run.log.bytes;
      const file = path.join(dir, "ref.out");
      const t0 = performance.now();
      spawnSync("sh", ["-c", `${cmd} > ${file}`]);
      const t1 = performance.now();
      fs.rmSync(file);
      if (i === 0) continue;
      berth.push(run.durationMs ?? Number.NaN);
      ref.push(t1 - t0);
    }
    const ratio = median(ref) / median(berth);
    result[name] = {
      berthMs: median(berth),
      refMs: median(ref),
      bytes,
      ratio,
      mbps: bytes / 1e6 / (median(berth) / 1000),
    };
    console.log(
      `${name}: ${fmt(bytes / 1e6, 0)} MB; berth ${fmt(median(berth), 0)} ms (${fmt(bytes / 1e3 / median(berth), 0)} MB/s), > file ${fmt(median(ref), 0)} ms; throughput ratio ${fmt(ratio, 2)} (goal >= 0.8)`,
    );
  }
  emitResult("jobs-output-throughput", result);
} finally {
  await server.stop();
  removeDir(dir);
}
