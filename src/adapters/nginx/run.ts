import { execFile } from "node:child_process";

export type RunResult = { code: number; stdout: string; stderr: string };

/** Runs one argv (never a shell); resolves with its exit code and output, rejects only if it cannot start. */
export type Runner = (argv: string[]) => Promise<RunResult>;

const TIMEOUT_MS = 60_000;

export const runArgv: Runner = (argv) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    if (!file) {
      reject(new Error("empty command"));
      return;
    }
    execFile(
      file,
      args,
      { timeout: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error && typeof error.code === "string") {
          // ENOENT, EACCES: the command itself is missing or not runnable
          reject(new Error(`cannot run ${file}: ${error.message}`));
          return;
        }
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: error?.killed ? `${stderr}\n(timed out)` : stderr });
      },
    );
  });
