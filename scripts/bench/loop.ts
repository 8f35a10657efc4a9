/**
 * Event-loop delay of a benchmarked server, phase by phase: the server is
 * started with loop-probe.ts preloaded (`loopProbeEnv`), `loopReset` starts a
 * phase and `loopRead` ends it, returning the p50/p99/max delay (ms) the
 * server's own monitorEventLoopDelay saw in between.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { sleep } from "./lib.ts";

export type LoopDelay = { p50: number; p99: number; max: number; samples: number };

const probe = path.join(import.meta.dirname, "loop-probe.ts");

/**
 * Environment for startServer/startBerth that preloads the probe, writing to
 * `file`; BENCH_NODE_FLAGS (say "--max-semi-space-size=2") go to the server too.
 */
export function loopProbeEnv(file: string): Record<string, string> {
  const flags = process.env.BENCH_NODE_FLAGS ?? "";
  return { NODE_OPTIONS: `--import=${probe} ${flags}`.trim(), BENCH_LOOP_FILE: file };
}

export async function loopRead(pid: number, file: string): Promise<LoopDelay> {
  fs.rmSync(file, { force: true });
  process.kill(pid, "SIGUSR2");
  for (let i = 0; i < 500; i++) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as LoopDelay;
    await sleep(10);
  }
  throw new Error("the loop probe did not answer (was the server started with loopProbeEnv?)");
}

/** Starts a phase: discards what the probe has seen so far. */
export async function loopReset(pid: number, file: string): Promise<void> {
  await loopRead(pid, file);
}

/**
 * A bare Node process that does nothing but keep its loop alive, with the same
 * probe: its delays are the machine's scheduling noise, the reference that the
 * server's delays are read against in the same run.
 */
export function startIdleReference(file: string): { pid: number; stop: () => void } {
  const child: ChildProcess = spawn(
    process.execPath,
    [`--import=${probe}`, "-e", "setInterval(() => {}, 1000)"],
    { env: { PATH: process.env.PATH ?? "", BENCH_LOOP_FILE: file }, stdio: "ignore" },
  );
  return {
    pid: child.pid as number,
    stop: () => {
      if (child.exitCode === null) child.kill("SIGTERM");
    },
  };
}
