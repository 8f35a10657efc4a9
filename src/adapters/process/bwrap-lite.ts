import fs from "node:fs";
import type { NamespaceControl } from "./pidns.ts";
import { namespaceOf } from "./pidns.ts";
import { type RunOptions, type RunResult, runProcess } from "./run.ts";

/**
 * A minimal bubblewrap sandbox for job runs until the security sandbox lands: read-only
 * system, the run's work directory as the only writable path, private /tmp, /proc and
 * PID namespace (everything dies with the run), network shared.
 */
export function bwrapRun(
  opts: Omit<RunOptions, "cwd"> & { workDir: string; onControl?: (c: NamespaceControl) => void },
): Promise<RunResult> {
  const binds: string[] = [];
  for (const dir of ["/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"]) {
    if (fs.existsSync(dir)) binds.push("--ro-bind", dir, dir);
  }
  const argv = [
    "/usr/bin/bwrap",
    ...binds,
    // /tmp first: a work directory under it (tests) is bound on top
    "--tmpfs",
    "/tmp",
    "--bind",
    opts.workDir,
    opts.workDir,
    "--chdir",
    opts.workDir,
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--unshare-all",
    "--share-net",
    "--die-with-parent",
    "--",
    ...opts.argv,
  ];
  return runProcess({
    ...opts,
    cwd: opts.workDir,
    argv,
    onStart: (pid) => {
      opts.onStart?.(pid);
      opts.onControl?.(namespaceOf(pid));
    },
  });
}

/** The minimal sandbox as jobs use it: the work directory keeps its host path inside. */
export const liteSandbox = {
  insideDir: (workDir: string) => workDir,
  handOver: async (_workDir: string) => undefined,
  removeWorkDir: async (workDir: string) => fs.rmSync(workDir, { recursive: true, force: true }),
  run: bwrapRun,
};
