import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerPool } from "../../src/queue/workers.ts";
import { cancelRun, pauseRun, resumeRun, runDir, startRun } from "../../src/services/jobs/runs.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { cpuTicks, ended, makeJob, pidsOfRun, startJobWorkers, waitRun } from "../helpers/jobs.ts";

let t: TestApp;
let pool: WorkerPool;
beforeAll(() => {
  t = createTestApp();
  pool = startJobWorkers(t.deps);
});
afterAll(async () => {
  await pool.stop();
  await t.close();
});

const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !stat.includes(") Z ");
  } catch {
    return false;
  }
};
const output = (id: string) => {
  const file = path.join(runDir(t.deps, id), "output.log");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
};

describe("job runs in the sandbox", () => {
  it("runs the script with its arguments as variables and positionals", async () => {
    const job = makeJob(t.deps, 'echo "hello $BERTH_ARG_WHO $1"; echo oops >&2; exit 3', {
      params: [{ name: "who", type: "string", required: true }],
    });
    const run = startRun(t.deps, job, { args: { who: "world" }, trigger: "user", by: "me" });
    const done = await waitRun(t.deps, run.id, ended);
    expect(done.status).toBe("failed");
    expect(done.exitCode).toBe(3);
    expect(output(run.id)).toContain("hello world world\n");
    expect(output(run.id)).toContain("oops\n");
  });

  it("cancel kills grandchildren and setsid children", async () => {
    const job = makeJob(
      t.deps,
      "sh -c 'sleep 300' & setsid sh -c 'sleep 300' & echo started; wait",
    );
    const run = startRun(t.deps, job, { trigger: "user", by: "me" });
    await waitRun(t.deps, run.id, () => output(run.id).includes("started"));
    let pids: number[] = [];
    const until = Date.now() + 5000;
    while (pids.length < 4 && Date.now() < until) pids = pidsOfRun(run.id);
    expect(pids.length).toBeGreaterThanOrEqual(4); // sh, 2 × sh -c, 2 × sleep (one setsid)
    cancelRun(t.deps, run.id, "me");
    const done = await waitRun(t.deps, run.id, ended);
    expect(done.status).toBe("cancelled");
    const end = Date.now() + 5000;
    while (pids.some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(pids.filter(alive)).toEqual([]);
  });

  it("pause stops CPU time from growing and resume continues it", async () => {
    const job = makeJob(t.deps, "echo busy; while :; do :; done");
    const run = startRun(t.deps, job, { trigger: "user", by: "me" });
    await waitRun(t.deps, run.id, () => output(run.id).includes("busy"));
    await waitRun(t.deps, run.id, () => t.deps.jobs.live.get(run.id)?.control != null);
    const [pid] = pidsOfRun(run.id).slice(-1);
    if (!pid) throw new Error("no process");
    pauseRun(t.deps, run.id);
    expect(t.deps.jobs.repos.runs.byId(run.id)?.status).toBe("paused");
    await new Promise((r) => setTimeout(r, 100));
    const a = cpuTicks(pid);
    await new Promise((r) => setTimeout(r, 500));
    expect(cpuTicks(pid)).toBe(a);
    resumeRun(t.deps, run.id);
    const b = cpuTicks(pid);
    const end = Date.now() + 5000;
    while (cpuTicks(pid) === b && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(cpuTicks(pid)).toBeGreaterThan(b);
    cancelRun(t.deps, run.id, "me");
    expect((await waitRun(t.deps, run.id, ended)).status).toBe("cancelled");
  });

  it("times out, and retries after the delay", async () => {
    const job = makeJob(t.deps, "echo try; sleep 30", {
      timeoutSeconds: 1,
      retries: 1,
      retryDelaySeconds: 0,
    });
    const run = startRun(t.deps, job, { trigger: "user", by: "me" });
    const done = await waitRun(t.deps, run.id, ended);
    expect(done.status).toBe("timed_out");
    const retry = t.deps.jobs.repos.runs.list({ limit: 50 }).find((r) => r.retryOf === run.id);
    expect(retry?.attempt).toBe(2);
    expect(retry?.status).toBe("scheduled");
  });

  it("does not count paused time toward the timeout", async () => {
    const job = makeJob(t.deps, "echo up; sleep 30", { timeoutSeconds: 2 });
    const run = startRun(t.deps, job, { trigger: "user", by: "me" });
    await waitRun(
      t.deps,
      run.id,
      () => t.deps.jobs.live.get(run.id)?.control != null && output(run.id).includes("up"),
    );
    pauseRun(t.deps, run.id);
    await new Promise((r) => setTimeout(r, 2500)); // longer than the timeout, all paused
    expect(t.deps.jobs.repos.runs.byId(run.id)?.status).toBe("paused");
    resumeRun(t.deps, run.id);
    const done = await waitRun(t.deps, run.id, ended);
    expect(done.status).toBe("timed_out");
    expect(done.pausedMs).toBeGreaterThanOrEqual(2400);
  });

  it("keeps the head and the tail past the output cap", async () => {
    const job = makeJob(t.deps, "i=0; while [ $i -lt 5000 ]; do echo line-$i; i=$((i+1)); done", {
      outputCapBytes: 4096,
    });
    const run = startRun(t.deps, job, { trigger: "user", by: "me" });
    const done = await waitRun(t.deps, run.id, ended);
    expect(done.status).toBe("succeeded");
    const text = output(run.id);
    expect(text.startsWith("line-0\nline-1\n")).toBe(true);
    expect(text.endsWith("line-4999\n")).toBe(true);
    expect(text).toMatch(/\[\.\.\. \d+ bytes of output dropped/);
    expect(done.logDropped).toBeGreaterThan(40_000);
    expect(done.logBytes).toBeLessThan(4096 + 200);
  });

  it("takes 100 MB of output at full speed", async () => {
    const job = makeJob(t.deps, "head -c 100000000 /dev/zero | tr '\\0' 'x' | fold -w 100", {
      timeoutSeconds: 120,
    });
    const run = startRun(t.deps, job, { trigger: "user", by: "me" });
    const done = await waitRun(t.deps, run.id, ended, 120_000);
    expect(done.status).toBe("succeeded");
    expect(done.logBytes + done.logDropped).toBeGreaterThanOrEqual(101_000_000 - 200);
  }, 130_000);
});
