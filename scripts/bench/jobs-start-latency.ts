/**
 * Run start latency: from the API call (POST /jobs/{job}/runs) to the script's first
 * instruction, against spawning the same script directly (node spawn, no sandbox) and
 * through bubblewrap alone, in the same run, interleaved. The script prints the wall
 * clock in nanoseconds; the start is the wall clock just before the call or spawn.
 *
 * Usage: node scripts/bench/jobs-start-latency.ts
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { makeJob, rawOutput, waitEnded } from "./jobs-lib.ts";
import { api, emitResult, fmt, median, percentile, removeDir, startBerth, tempDir } from "./lib.ts";

const N = 21;
const SCRIPT = "date +%s%N";
const wallMs = () => performance.timeOrigin + performance.now();

function direct(argv: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = wallMs();
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", () => resolve(Number(out.trim()) / 1e6 - start));
  });
}

const dir = tempDir("jobs-start");
const work = path.join(dir, "work");
fs.mkdirSync(work);
fs.writeFileSync(path.join(work, "script"), SCRIPT);
const bwrap = [
  "/usr/bin/bwrap",
  ...["/usr", "/bin", "/lib", "/lib64", "/etc"].flatMap((d) =>
    fs.existsSync(d) ? ["--ro-bind", d, d] : [],
  ),
  "--tmpfs",
  "/tmp",
  "--bind",
  work,
  work,
  "--chdir",
  work,
  "--proc",
  "/proc",
  "--dev",
  "/dev",
  "--unshare-all",
  "--share-net",
  "--die-with-parent",
  "--",
  "sh",
  "script",
];
const server = await startBerth(path.join(dir, "data"));
try {
  const base = server.url;
  await makeJob(base, "stamp", SCRIPT);
  const berth: number[] = [];
  const plain: number[] = [];
  const sandboxed: number[] = [];
  for (let i = 0; i <= N; i++) {
    const start = wallMs();
    const { json } = await api<{ id: string }>(base, "/jobs/stamp/runs", "POST", {});
    await waitEnded(base, json.id, 5);
    const text = await rawOutput(base, json.id, { authorization: `Bearer ${server.key}` });
    const ms = Number(text.trim()) / 1e6 - start;
    const p = await direct(["sh", "script"], work);
    const b = await direct(bwrap, work);
    if (i === 0) continue; // warm-up
    berth.push(ms);
    plain.push(p);
    sandboxed.push(b);
  }
  const result = {
    berthMs: median(berth),
    berthP95Ms: percentile(berth, 95),
    spawnMs: median(plain),
    bwrapMs: median(sandboxed),
    ratioToSpawn: median(berth) / median(plain),
    ratioToBwrap: median(berth) / median(sandboxed),
  };
  console.log(
    `start latency: berth ${fmt(result.berthMs)} ms (p95 ${fmt(result.berthP95Ms)}), spawn ${fmt(result.spawnMs)} ms, bwrap alone ${fmt(result.bwrapMs)} ms; berth/spawn ${fmt(result.ratioToSpawn, 2)}, berth/bwrap ${fmt(result.ratioToBwrap, 2)}`,
  );
  emitResult("jobs-start-latency", result);
} finally {
  await server.stop();
  removeDir(dir);
}
