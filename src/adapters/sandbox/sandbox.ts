import path from "node:path";
import { unprocessable } from "../../domain/errors.ts";
import type { OutputChunk } from "../process/output.ts";
import { type RunResult, runProcess, signalGroup } from "../process/run.ts";
import { INSIDE_DIR, NOBODY, type SandboxLimits, sandboxArgv } from "./argv.ts";
import { detectSandbox, OFF_WARNING, runsAsRoot, type SandboxCheck } from "./detect.ts";
import { createLimitWatch, type LimitHit } from "./limits.ts";
import { createNamespaceTracker, groupPids, isAlive, type NamespaceTracker } from "./namespace.ts";
import { handOver, makeWorkDir, removeWorkDir } from "./workdir.ts";

export type SandboxSettings = {
  /** off: commands run unsandboxed (a trusted single-user machine only). */
  mode: "on" | "off";
  limits: SandboxLimits;
  /** bubblewrap. Default /usr/bin/bwrap. */
  bwrap?: string;
};

export type SandboxRunOptions = {
  /** Host directory bound read-write at /work: the only path the command can change. */
  workDir: string;
  /** Where the command starts, relative to workDir. Default: workDir itself. */
  cwd?: string;
  argv: string[];
  /** The whole environment (cleanEnv); HOME becomes /work and TMPDIR /tmp inside. */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  secrets: string[];
  onOutput: (chunk: OutputChunk) => void;
  /** Abort = SIGTERM to every process of the sandbox, SIGKILL after graceMs. */
  signal?: AbortSignal;
  graceMs?: number;
  /** The pid of bwrap (its process group; recovery after a crash kills that group). */
  onStart?: (pid: number) => void;
  /** Tighter (or looser) limits for this run than the configured ones. */
  limits?: Partial<SandboxLimits>;
};

export type SandboxResult = RunResult & {
  sandboxed: boolean;
  /** The limit the command ran into, named for the log. */
  limit: LimitHit | null;
};

/** One running command. Signals reach every process of its PID namespace. */
export type SandboxRun = {
  result: Promise<SandboxResult>;
  /** Host pids of every process in the sandbox right now. */
  pids(): number[];
  /** Sends a signal to every process of the sandbox; answers how many got it. */
  signal(sig: NodeJS.Signals): number;
  /** SIGSTOP to every process (a paused job), resolved once all are stopped; resume() sends SIGCONT. */
  pause(): Promise<number>;
  resume(): number;
};

export type Sandbox = {
  readonly mode: "on" | "off";
  readonly limits: SandboxLimits;
  /** Whether commands can run (a success is cached); log `warning` if there is one. */
  check(): Promise<SandboxCheck>;
  /** A fresh empty work directory (its parent must be Berth's own, not writable by others). */
  makeWorkDir(dir: string): Promise<void>;
  /** Gives a directory Berth filled (a checkout) to the sandbox's user. */
  handOver(dir: string): Promise<void>;
  /** Removes a work directory (whatever modes its command left), and its root once empty. */
  removeWorkDir(dir: string): Promise<void>;
  /** Runs one command; `result` rejects with sandbox_unavailable if check() failed. */
  run(opts: SandboxRunOptions): SandboxRun;
};

export function createSandbox(settings: SandboxSettings): Sandbox {
  const bwrap = settings.bwrap ?? "/usr/bin/bwrap";
  let checked: Promise<SandboxCheck> | null = null;
  // a working sandbox is remembered; a broken one is probed again (bubblewrap installed since)
  const check = () => {
    checked ??=
      settings.mode === "off"
        ? Promise.resolve({ ok: true, sandboxed: false, warning: OFF_WARNING } as const)
        : detectSandbox(bwrap).then((result) => {
            if (!result.ok) checked = null;
            return result;
          });
    return checked;
  };

  function run(opts: SandboxRunOptions): SandboxRun {
    const limits = { ...settings.limits, ...opts.limits };
    const watch = createLimitWatch();
    let outer: number | undefined;
    let tracker: NamespaceTracker | null = null;
    let paused = false;
    let over = false;

    const signalAll = (sig: NodeJS.Signals): number => {
      if (over || outer === undefined) return 0;
      if (tracker) return tracker.signal(sig);
      return signalGroup(outer, sig) ? groupPids(outer).length || 1 : 0;
    };
    // how runProcess stops the sandbox: SIGTERM to all (woken if paused), SIGKILL to its init
    const stopSandbox = (pid: number, sig: NodeJS.Signals | 0): boolean => {
      if (sig === 0) return isAlive(pid);
      const count = tracker?.signal(sig) ?? 0;
      if (sig === "SIGTERM" && paused) tracker?.signal("SIGCONT");
      if (sig === "SIGKILL") signalGroup(pid, "SIGKILL");
      return count > 0 || isAlive(pid);
    };

    const result = (async (): Promise<SandboxResult> => {
      const ready = await check();
      if (!ready.ok) throw unprocessable("sandbox_unavailable", ready.message);
      const { sandboxed } = ready;
      const disableUserns = ready.sandboxed && ready.disableUserns;
      const res = await runProcess({
        argv: sandboxed
          ? sandboxArgv({
              bwrap,
              workDir: opts.workDir,
              cwd: path.posix.join(INSIDE_DIR, opts.cwd ?? "."),
              command: opts.argv,
              limits,
              disableUserns,
            })
          : opts.argv,
        // bwrap starts from / (nobody may not reach Berth's cwd) and enters /work itself
        cwd: sandboxed ? "/" : path.join(opts.workDir, opts.cwd ?? "."),
        env: sandboxed ? { ...opts.env, HOME: INSIDE_DIR, TMPDIR: "/tmp" } : opts.env,
        timeoutMs: opts.timeoutMs,
        maxOutputBytes: opts.maxOutputBytes,
        secrets: opts.secrets,
        onOutput: (chunk) => {
          watch.scan(chunk.text);
          opts.onOutput(chunk);
        },
        signal: opts.signal,
        graceMs: opts.graceMs,
        onStart: (pid) => {
          outer = pid;
          if (sandboxed) tracker = createNamespaceTracker(pid);
          opts.onStart?.(pid);
        },
        ...(sandboxed ? { signalAll: stopSandbox } : {}),
        ...(sandboxed && runsAsRoot() ? { uid: NOBODY, gid: NOBODY } : {}),
      }).finally(() => {
        over = true;
      });
      return { ...res, sandboxed, limit: sandboxed ? watch.hit(res, limits) : null };
    })();

    return {
      result,
      pids: () => {
        if (over || outer === undefined) return [];
        return tracker ? tracker.pids() : groupPids(outer);
      },
      signal: signalAll,
      pause: async () => {
        paused = true;
        if (over || outer === undefined) return 0;
        return tracker ? tracker.stop() : signalAll("SIGSTOP");
      },
      resume: () => {
        paused = false;
        return signalAll("SIGCONT");
      },
    };
  }

  return {
    mode: settings.mode,
    limits: settings.limits,
    check,
    makeWorkDir,
    handOver,
    removeWorkDir,
    run,
  };
}
