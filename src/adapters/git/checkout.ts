import fs from "node:fs/promises";
import { conflict, unprocessable } from "../../domain/errors.ts";
import type { OutputChunk } from "../process/output.ts";
import { type RunOptions, type RunResult, runProcess } from "../process/run.ts";
import { cloneArgv, headArgv } from "./commands.ts";
import { type GitCredentials, prepareAuth } from "./credentials.ts";
import { parseRepoUrl } from "./url.ts";

export type CheckoutOptions = {
  url: string;
  /** Branch, tag (short or refs/...) or full commit id. */
  ref: string;
  /** Absolute; made if missing, must be empty. Becomes the work tree (with its .git). */
  dir: string;
  credentials?: GitCredentials;
  /** The environment for git, already cleaned (cleanEnv); GIT_* in it is ignored. */
  env: Record<string, string>;
  /** git's own progress and errors, masked. */
  onOutput: (chunk: OutputChunk) => void;
  signal?: AbortSignal;
  /** Per git step. Default 10 min. */
  timeoutMs?: number;
  /** Per git step. Default 1 MiB. */
  maxOutputBytes?: number;
  /** A CA bundle for an https server with a private CA (http.sslCAInfo). */
  sslCaFile?: string;
  /** Where the temporary ssh key directory goes. Default os.tmpdir(). */
  tempRoot?: string;
  /** The runner; tests may pass one that records argv. */
  run?: (opts: RunOptions) => Promise<RunResult>;
};

export type CheckoutResult = { commit: string; message: string; author: string };

const STDERR_TAIL = 16 * 1024;

/**
 * Shallow-checks out one ref of a repository into `dir` with git (see cloneArgv), with
 * credentials kept out of argv and the work tree (see prepareAuth), and returns the
 * commit that was checked out. A git failure throws unprocessable("git_failed") with
 * git's own message ("fatal: couldn't find remote ref nope"); a step that runs too long
 * "git_timeout"; an aborted signal "git_cancelled". Bad input throws before git runs.
 */
export async function checkout(opts: CheckoutOptions): Promise<CheckoutResult> {
  const repo = parseRepoUrl(opts.url);
  const steps = cloneArgv({ url: opts.url, ref: opts.ref, dir: opts.dir, depth: 1 });
  await fs.mkdir(opts.dir, { recursive: true });
  if ((await fs.readdir(opts.dir)).length > 0) {
    throw conflict("work_dir_not_empty", `The build directory ${opts.dir} is not empty.`);
  }
  const auth = await prepareAuth(repo, opts.credentials, opts.tempRoot);
  try {
    const env = gitEnv(opts.env, auth.env, opts.sslCaFile);
    const git = (argv: string[], capture: boolean) =>
      runGit(argv, { ...opts, env, secrets: auth.secrets }, capture);
    for (const argv of steps) await git(argv, false);
    const head = await git(headArgv(repo.kind, opts.dir), true);
    const [commit = "", author = "", message = ""] = head.split("\0");
    return { commit: commit.trim(), author, message: message.trim() };
  } finally {
    await auth.cleanup();
  }
}

/**
 * git's environment: the caller's without any GIT_* of its own, git's global and system
 * config ignored (the Berth user's url.insteadOf, credential helpers and hooks do not
 * apply), no prompts, C messages (so errors read the same everywhere), plus credentials.
 */
function gitEnv(
  base: Record<string, string>,
  auth: Record<string, string>,
  sslCaFile: string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (!k.startsWith("GIT_")) env[k] = v;
  Object.assign(env, {
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    LC_ALL: "C",
    ...auth,
  });
  if (sslCaFile) {
    // appended after the credentials' own environment-only config entries
    const n = Number(env.GIT_CONFIG_COUNT ?? "0");
    env[`GIT_CONFIG_KEY_${n}`] = "http.sslCAInfo";
    env[`GIT_CONFIG_VALUE_${n}`] = sslCaFile;
    env.GIT_CONFIG_COUNT = String(n + 1);
  }
  return env;
}

type GitRun = Pick<
  CheckoutOptions,
  "dir" | "onOutput" | "signal" | "timeoutMs" | "maxOutputBytes" | "run"
> & { env: Record<string, string>; secrets: string[] };

/** Runs one git step; returns its stdout when `capture`, else forwards it. */
async function runGit(argv: string[], opts: GitRun, capture: boolean): Promise<string> {
  let stdout = "";
  let stderr = "";
  const run = opts.run ?? runProcess;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const result = await run({
    argv,
    cwd: opts.dir,
    env: opts.env,
    timeoutMs,
    maxOutputBytes: opts.maxOutputBytes ?? 1024 * 1024,
    secrets: opts.secrets,
    graceMs: 2000,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onOutput: (chunk) => {
      if (chunk.stream === "stderr") stderr = (stderr + chunk.text).slice(-STDERR_TAIL);
      if (capture && chunk.stream === "stdout") stdout += chunk.text;
      else opts.onOutput(chunk);
    },
  });
  const step = subcommand(argv);
  if (result.cancelled) throw unprocessable("git_cancelled", `git ${step} was cancelled.`);
  if (result.timedOut) {
    throw unprocessable(
      "git_timeout",
      `git ${step} took longer than ${Math.round(timeoutMs / 1000)} s.`,
    );
  }
  if (result.exitCode !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.exitCode}`;
    throw unprocessable("git_failed", gitMessage(stderr) ?? `git ${step} ${how}.`);
  }
  return stdout;
}

/** The word after git's global options: init, fetch, checkout... */
function subcommand(argv: string[]): string {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "-c" || a === "-C") i++;
    else if (!a.startsWith("-")) return a;
  }
  return "";
}

/**
 * git's own words for what went wrong: up to its last fatal/error line (what ssh or the
 * server said just before it included, the "Please make sure..." boilerplate after it
 * left out), at most four lines; without such a line, its last three.
 */
export function gitMessage(stderr: string): string | null {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("hint:"));
  const last = lines.findLastIndex((l) => /^(fatal|error|ERROR):/.test(l));
  const picked = last >= 0 ? lines.slice(Math.max(0, last - 3), last + 1) : lines.slice(-3);
  if (picked.length === 0) return null;
  const text = picked.join(" ");
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}
