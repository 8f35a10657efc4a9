import { type ChildProcess, spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { unprocessable } from "../../domain/errors.ts";
import { createOutput, type OutputChunk, type OutputStream } from "./output.ts";

export type RunOptions = {
  argv: string[];
  cwd: string;
  /** The whole environment of the command (nothing is inherited): build it with cleanEnv. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Raw bytes of stdout and stderr together that are forwarded; the rest is drained. */
  maxOutputBytes: number;
  /** Values masked as "***" in everything forwarded (fewer than 4 characters: ignored). */
  secrets: string[];
  /** Masked output, mostly whole lines. Must not throw: if it does, the command is stopped. */
  onOutput: (chunk: OutputChunk) => void;
  /**
   * Instead of onOutput: the raw bytes as read, uncapped and unmasked, for a caller with
   * no secrets that keeps its own capped record (job output at full speed).
   */
  onBytes?: (stream: OutputStream, bytes: Buffer) => void;
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL to the process group. Default 5 s. */
  graceMs?: number;
  /** Told the pid of the started command, which is also its process group id. */
  onStart?: (pid: number) => void;
  /** Start the command as this user and group (Berth must be root to use them). */
  uid?: number;
  gid?: number;
  /**
   * How a signal reaches everything the command started (signal 0: is anything left?).
   * Default: the command's process group. A sandbox passes its PID namespace instead.
   */
  signalAll?: (pid: number, signal: NodeJS.Signals | 0) => boolean;
};

export type RunResult = {
  exitCode: number | null;
  /** The signal that ended the command itself ("SIGTERM", "SIGKILL"), if one did. */
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  outputTruncated: boolean;
  durationMs: number;
};

const DEFAULT_GRACE_MS = 5000;
/** How long to wait for the pipes to close after the command exits, beyond the grace period. */
const CLOSE_SLACK_MS = 1000;

/** Sends a signal to every process of the group led by `pid`. Best effort: gone is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

/**
 * Runs one command in its own process group (`detached`, so the child leads a new
 * session) with stdin on /dev/null, streams its masked output, and ends the whole group:
 * on timeout or cancel with SIGTERM, then SIGKILL after the grace period; and when the
 * command exits by itself, whatever it left running in the background gets the same
 * treatment, so no step outlives itself. Resolves once the command exited and its pipes
 * closed (or a grace period later, if something outside the group still holds them).
 * Rejects only if the command could not be started (missing program or cwd) or onOutput threw.
 */
export function runProcess(opts: RunOptions): Promise<RunResult> {
  const [file, ...args] = opts.argv;
  if (!file) return Promise.reject(unprocessable("invalid_command", "The command is empty."));
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const signalAll = opts.signalAll ?? signalGroup;
  const signalTree = (pid: number | undefined, signal: NodeJS.Signals | 0) =>
    pid !== undefined && signalAll(pid, signal);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (opts.signal?.aborted) {
    return Promise.resolve({
      exitCode: null,
      signal: null,
      timedOut: false,
      cancelled: true,
      outputTruncated: false,
      durationMs: 0,
    });
  }

  return new Promise<RunResult>((resolve, reject) => {
    let outputError: unknown = null;
    let child: ChildProcess | undefined;
    const output = createOutput({
      secrets: opts.secrets,
      maxBytes: opts.maxOutputBytes,
      emit: (chunk) => {
        if (outputError !== null) return;
        try {
          opts.onOutput(chunk);
        } catch (err) {
          outputError = err;
          stop();
        }
      },
    });

    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let timedOut = false;
    let cancelled = false;
    let stopping = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;

    function stop() {
      if (stopping) return;
      stopping = true;
      signalTree(child?.pid, "SIGTERM");
      killTimer = setTimeout(() => signalTree(child?.pid, "SIGKILL"), graceMs);
    }

    const timeoutTimer = setTimeout(() => {
      if (exit) return;
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = () => {
      if (exit) return;
      cancelled = true;
      stop();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    function settle(result: { ok: RunResult } | { error: unknown }) {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(closeTimer);
      opts.signal?.removeEventListener("abort", onAbort);
      // keep the pending SIGKILL only while something of the group is still there
      if (!signalTree(child?.pid, 0)) clearTimeout(killTimer);
      if ("error" in result) reject(result.error);
      else resolve(result.ok);
    }

    function finish() {
      output.end();
      if (outputError !== null) {
        settle({ error: outputError });
        return;
      }
      settle({
        ok: {
          exitCode: exit?.code ?? null,
          signal: exit?.signal ?? null,
          timedOut,
          cancelled,
          outputTruncated: output.truncated,
          durationMs: elapsed(),
        },
      });
    }

    try {
      child = spawn(file, args, {
        cwd: opts.cwd,
        env: opts.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
        ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
      });
    } catch (err) {
      settle({ error: startError(file, err) });
      return;
    }

    if (child.pid !== undefined) opts.onStart?.(child.pid);
    const raw = opts.onBytes;
    const take = (stream: OutputStream) =>
      raw
        ? (bytes: Buffer) => {
            if (outputError !== null) return;
            try {
              raw(stream, bytes);
            } catch (err) {
              outputError = err;
              stop();
            }
          }
        : (bytes: Buffer) => output.write(stream, bytes);
    child.stdout?.on("data", take("stdout"));
    child.stderr?.on("data", take("stderr"));
    // a read error on a pipe only means no more output; unhandled, it would crash Berth
    child.stdout?.on("error", () => {});
    child.stderr?.on("error", () => {});
    child.on("error", (err) => {
      // only spawn failures reach here: Berth signals through process.kill, not child.kill
      if (exit === null) settle({ error: startError(file, err) });
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      stop(); // whatever the command left behind in its group
      closeTimer = setTimeout(() => {
        // something that left the group still holds the pipes: stop waiting for it
        child?.stdout?.destroy();
        child?.stderr?.destroy();
        finish();
      }, graceMs + CLOSE_SLACK_MS);
    });
    child.on("close", () => {
      if (exit !== null) finish();
    });
  });
}

function startError(file: string, err: unknown) {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === "ENOENT" ? "not found (the program or the working directory)" : String(err);
  return unprocessable("command_not_started", `Could not start ${file}: ${why}.`);
}
