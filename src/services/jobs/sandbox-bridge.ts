import type { RunOptions, RunResult } from "../../adapters/process/run.ts";
import type { JobSandbox } from "./context.ts";

/**
 * The security sandbox's shape (src/adapters/sandbox: createSandbox), as far as jobs use
 * it. Written structurally so this file needs nothing of that adapter but its shape.
 */
export type SecuritySandbox = {
  run(opts: Omit<RunOptions, "cwd" | "onBytes"> & { workDir: string; cwd?: string }): {
    result: Promise<RunResult>;
    signal(sig: NodeJS.Signals): number;
    pause(): Promise<number>;
    resume(): number;
  };
  handOver(dir: string): Promise<void>;
  removeWorkDir(dir: string): Promise<void>;
};

/** Jobs over the security sandbox, whose work directory appears at `insideDir` (/work). */
export function jobSandbox(sandbox: SecuritySandbox, insideDir: string): JobSandbox {
  return {
    insideDir: () => insideDir,
    handOver: (dir) => sandbox.handOver(dir),
    removeWorkDir: (dir) => sandbox.removeWorkDir(dir),
    run(opts) {
      const { onControl, onBytes: _raw, ...rest } = opts;
      const run = sandbox.run(rest);
      onControl?.({
        signal: (sig) => void run.signal(sig),
        pause: () => void run.pause(),
        resume: () => void run.resume(),
      });
      return run.result;
    },
  };
}
