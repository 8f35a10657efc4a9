/**
 * Shared helpers for the benchmarks: timing statistics, tools, temp dirs and
 * /proc readings here; deterministic bundle generation (bundles.ts) and the
 * Berth API client (client.ts) are re-exported, so a benchmark imports this
 * file only. Every figure printed is a ratio against a reference measured in
 * the same run, or a median over repetitions.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export * from "./bundles.ts";
export * from "./client.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const MiB = 1024 * 1024;
export const now = (): number => performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile, p in (0, 100]. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** The absolute path of a tool on PATH, or exit 2 with how to install it. */
export function requireTool(name: string, install: string): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  process.stderr.write(`bench: \`${name}\` is not installed. Install it with: ${install}\n`);
  process.exit(2);
}

export const tempDir = (tag: string) =>
  fs.mkdtempSync(path.join(os.tmpdir(), `berth-bench-${tag}-`));
export const removeDir = (dir: string) => fs.rmSync(dir, { recursive: true, force: true });

/** Prints the machine-readable result line that run-all.ts collects. */
export function emitResult(name: string, result: Record<string, unknown>): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ name, ...result })}\n`);
}

/** VmRSS and VmHWM of a process, in KiB, from /proc/<pid>/status. */
export function procMemory(pid: number): { rssKiB: number; hwmKiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

/**
 * CPU time in ms from /proc/<pid>/stat (clock ticks of 10 ms): `own` is the
 * process's user+system time, `children` that of its children already waited
 * for (so the delta across a spawned tool's run is that tool's CPU time).
 */
export function cpuMs(pid: number): { own: number; children: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // fields after "pid (comm) ": state is field 3, utime 14, stime 15, cutime 16, cstime 17
  const f = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  const tick = 10;
  const at = (field: number) => (f[field - 3] ?? Number.NaN) * tick;
  return { own: at(14) + at(15), children: at(16) + at(17) };
}
