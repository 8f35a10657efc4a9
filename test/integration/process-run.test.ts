import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv } from "../../src/adapters/process/env.ts";
import type { OutputChunk } from "../../src/adapters/process/output.ts";
import { type RunOptions, type RunResult, runProcess } from "../../src/adapters/process/run.ts";
import { DomainError } from "../../src/domain/errors.ts";

let dir: string;
/** Every PID a test learned about: killed (by PID) after each test, whatever happened. */
let pids: number[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-run-"));
  pids = [];
});

afterEach(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

const BASE_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C" };

function run(argv: string[], extra: Partial<RunOptions> = {}) {
  const chunks: OutputChunk[] = [];
  const done = runProcess({
    argv,
    cwd: dir,
    env: BASE_ENV,
    timeoutMs: 20_000,
    maxOutputBytes: 1024 * 1024,
    secrets: [],
    onOutput: (c) => chunks.push(c),
    ...extra,
  });
  const text = (stream?: OutputChunk["stream"]) =>
    chunks
      .filter((c) => !stream || c.stream === stream)
      .map((c) => c.text)
      .join("");
  return { done, chunks, text };
}

const sh = (script: string) => ["/bin/sh", "-c", script];

async function waitFor<T>(probe: () => T | null | undefined, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads a PID a script wrote, and remembers it for the clean-up. */
async function pidFrom(file: string): Promise<number> {
  const pid = await waitFor(() => {
    const text = fs.existsSync(path.join(dir, file))
      ? fs.readFileSync(path.join(dir, file), "utf8")
      : "";
    return /^\d+\n$/.test(text) ? Number(text) : null;
  });
  pids.push(pid);
  return pid;
}

/**
 * True once the process has exited. kill(pid, 0) throwing ESRCH is the proof; an orphan
 * that exited but whose zombie nobody reaped yet (this sandbox's PID 1 never reaps
 * orphans) also counts: it is dead, only its process-table entry remains.
 */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
  try {
    return / [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\)/, " "));
  } catch {
    return true;
  }
}

const expectGone = (pid: number) => waitFor(() => isGone(pid) || null, 3000);

describe("runProcess", () => {
  it("reports the exit code", async () => {
    const ok = await run(sh("exit 0")).done;
    expect(ok).toMatchObject({ exitCode: 0, signal: null, timedOut: false, cancelled: false });
    const failed = await run(sh("exit 3")).done;
    expect(failed.exitCode).toBe(3);
    expect(failed.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("streams stdout and stderr apart, each in order", async () => {
    const r = run(sh("echo out1; echo err1 >&2; sleep 0.1; echo out2; echo err2 >&2"));
    await r.done;
    expect(r.text("stdout")).toBe("out1\nout2\n");
    expect(r.text("stderr")).toBe("err1\nerr2\n");
    const all = r.text();
    expect(all.indexOf("out1")).toBeLessThan(all.indexOf("out2"));
    expect(all.indexOf("err1")).toBeLessThan(all.indexOf("out2"));
  });

  it("forwards whole lines, and a partial line after a short silence", async () => {
    const r = run(sh("printf 'wait'; sleep 0.5; printf 'ing\\n'"));
    await waitFor(() => (r.text() === "wait" ? true : null), 400);
    await r.done;
    expect(r.text()).toBe("waiting\n");
  });

  it("runs with stdin closed", async () => {
    const result = await run(["cat"], { timeoutMs: 5000 }).done;
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
  });

  it("kills the group on timeout", async () => {
    const r = run(sh("echo $$ > sh.pid; sleep 300 & echo $! > bg.pid; sleep 300"), {
      timeoutMs: 300,
      graceMs: 1000,
    });
    const result = await r.done;
    expect(result).toMatchObject({ timedOut: true, cancelled: false, exitCode: null });
    expect(result.signal).toBe("SIGTERM");
    expect(result.durationMs).toBeLessThan(3000);
    await expectGone(await pidFrom("sh.pid"));
    await expectGone(await pidFrom("bg.pid"));
  });

  it("caps the output, says so once, and keeps draining so the child finishes", async () => {
    const r = run(sh("head -c 5000000 /dev/zero | tr '\\0' 'x'; echo; echo done"), {
      maxOutputBytes: 1000,
    });
    const result = await r.done;
    expect(result).toMatchObject({ exitCode: 0, outputTruncated: true, timedOut: false });
    expect(r.text("stdout")).toBe("x".repeat(1000));
    expect(r.text("stderr")).toBe("\n[output truncated at 1000 bytes]\n");
    expect(r.text()).not.toContain("done");
  });

  it("counts both streams against the cap", async () => {
    const r = run(sh("echo 1234567890; echo abcdefghij >&2; echo more; echo more >&2"), {
      maxOutputBytes: 16,
    });
    await r.done;
    const note = "[output truncated at 16 bytes]\n";
    expect(r.text().match(/truncated/g)).toHaveLength(1);
    // the two pipes race, so which 16 bytes made it varies; how many does not
    expect(r.text().replace(note, "").replace(/\n$/, "").length).toBeLessThanOrEqual(16);
    expect(r.text()).toMatch(/1234567890|abcdefghij/);
  });

  it("masks secrets, also when one arrives split across two writes", async () => {
    const secret = "s3cr3t-t0ken-value";
    const r = run(
      sh(`printf 'token=s3cr3t-'; sleep 0.3; printf 't0ken-value\\n'; echo ${secret} >&2`),
      { secrets: [secret, "ab"] },
    );
    await r.done;
    const stdoutChunks = r.chunks.filter((c) => c.stream === "stdout");
    expect(stdoutChunks.length).toBeGreaterThanOrEqual(1);
    expect(r.text("stdout")).toBe("token=***\n");
    expect(r.text("stderr")).toBe("***\n");
    for (const c of r.chunks) expect(c.text).not.toContain("s3cr3t");
  });

  it("does not let a child see Berth's own secrets", async () => {
    const saved = process.env.BERTH_SECRET_KEY;
    process.env.BERTH_SECRET_KEY = "cd".repeat(32);
    try {
      const env = cleanEnv(process.env, { BUILD_VAR: "from-the-build" });
      const r = run(sh('echo "key=$BERTH_SECRET_KEY var=$BUILD_VAR"; env'), { env });
      expect((await r.done).exitCode).toBe(0);
      expect(r.text("stdout")).toMatch(/^key= var=from-the-build\n/);
      expect(r.text()).not.toContain("cd".repeat(32));
      expect(r.text()).not.toMatch(/^BERTH_/m);
      expect(r.text()).toMatch(/^PATH=/m);
    } finally {
      if (saved === undefined) delete process.env.BERTH_SECRET_KEY;
      else process.env.BERTH_SECRET_KEY = saved;
    }
  });

  it("on cancel, kills the child and its grandchildren", async () => {
    const abort = new AbortController();
    const r = run(sh("echo $$ > sh.pid; sleep 300 & echo $! > pidfile; sleep 300"), {
      signal: abort.signal,
      graceMs: 2000,
    });
    try {
      const child = await pidFrom("sh.pid");
      const grandchild = await pidFrom("pidfile");
      expect(isGone(child)).toBe(false);
      expect(isGone(grandchild)).toBe(false);
      abort.abort();
      const result = await r.done;
      expect(result).toMatchObject({ cancelled: true, timedOut: false, signal: "SIGTERM" });
      expect(result.durationMs).toBeLessThan(2000); // they obeyed SIGTERM: no grace wait
      await expectGone(child);
      await expectGone(grandchild);
    } finally {
      abort.abort();
      await r.done.catch(() => {});
    }
  });

  it("SIGKILLs a group that ignores SIGTERM once the grace period is over", async () => {
    const abort = new AbortController();
    const r = run(
      sh(
        "trap '' TERM; echo $$ > sh.pid; sleep 300 & echo $! > bg.pid; echo ready; while :; do sleep 0.1; done",
      ),
      { signal: abort.signal, graceMs: 600 },
    );
    try {
      const child = await pidFrom("sh.pid");
      const grandchild = await pidFrom("bg.pid");
      await waitFor(() => (r.text().includes("ready") ? true : null));
      const before = Date.now();
      abort.abort();
      const result = await r.done;
      expect(Date.now() - before).toBeGreaterThanOrEqual(550);
      expect(result).toMatchObject({ cancelled: true, signal: "SIGKILL", exitCode: null });
      await expectGone(child);
      await expectGone(grandchild);
    } finally {
      abort.abort();
      await r.done.catch(() => {});
    }
  });

  it("ends what a command left running in the background when it exits", async () => {
    // the background job ignores SIGTERM and holds stdout open
    const r = run(sh("(trap '' TERM; sleep 300) & echo $! > bg.pid; echo started"), {
      graceMs: 500,
    });
    const background = await pidFrom("bg.pid");
    const result: RunResult = await r.done;
    expect(result).toMatchObject({ exitCode: 0, cancelled: false, timedOut: false });
    expect(r.text()).toBe("started\n");
    await expectGone(background);
  });

  it("returns at once when cancelled before it starts", async () => {
    const abort = new AbortController();
    abort.abort();
    const r = run(sh("echo ran > ran.txt"), { signal: abort.signal });
    expect(await r.done).toMatchObject({ cancelled: true, exitCode: null });
    expect(fs.existsSync(path.join(dir, "ran.txt"))).toBe(false);
  });

  it("rejects when the program or the working directory is missing", async () => {
    await expect(run(["/nonexistent/berth-test-program"]).done).rejects.toMatchObject({
      code: "command_not_started",
    });
    await expect(run(["true"], { cwd: path.join(dir, "missing") }).done).rejects.toBeInstanceOf(
      DomainError,
    );
    await expect(run([]).done).rejects.toMatchObject({ code: "invalid_command" });
  });

  it("stops the command and rejects when onOutput throws", async () => {
    const failure = new Error("log store is down");
    const r = runProcess({
      argv: sh("echo $$ > sh.pid; echo hello; sleep 300"),
      cwd: dir,
      env: BASE_ENV,
      timeoutMs: 20_000,
      maxOutputBytes: 1024,
      secrets: [],
      graceMs: 500,
      onOutput: () => {
        throw failure;
      },
    });
    await expect(r).rejects.toBe(failure);
    await expectGone(await pidFrom("sh.pid"));
  });
});
