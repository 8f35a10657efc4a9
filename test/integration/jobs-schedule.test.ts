import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CatchUp } from "../../src/domain/jobs/jobs.ts";
import { realClock } from "../../src/services/jobs/context.ts";
import { nextFire } from "../../src/services/jobs/cron.ts";
import { setScheduling } from "../../src/services/jobs/jobs.ts";
import { startScheduler } from "../../src/services/jobs/scheduler.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { makeJob, manualClock, startJobWorkers, waitRun } from "../helpers/jobs.ts";

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(() => t.close());

const T0 = Date.parse("2026-01-01T00:00:30Z");
const runsOf = (name: string) => {
  const job = t.deps.jobs.repos.jobs.byName(name);
  return t.deps.jobs.repos.runs.list({ jobId: job?.id, limit: 1000 }).reverse();
};

describe("the job scheduler", () => {
  it("fires a cron schedule when the clock reaches it", () => {
    const clock = manualClock(T0);
    t.deps.jobs.clock = clock;
    const s = startScheduler(t.deps);
    const job = makeJob(t.deps, "true", { cron: "*/5 * * * *" });
    clock.set(Date.parse("2026-01-01T00:04:59Z"));
    expect(runsOf(job)).toHaveLength(0);
    clock.set(Date.parse("2026-01-01T00:05:00Z"));
    clock.set(Date.parse("2026-01-01T00:10:00Z"));
    const runs = runsOf(job);
    expect(
      runs.map((r) => [r.status, r.trigger, new Date(r.scheduledFor ?? 0).toISOString()]),
    ).toEqual([
      ["queued", "schedule", "2026-01-01T00:05:00.000Z"],
      ["queued", "schedule", "2026-01-01T00:10:00.000Z"],
    ]);
    s.stop();
  });

  const downFor = (catchUp: CatchUp) => {
    const clock = manualClock(T0);
    t.deps.jobs.clock = clock;
    let s = startScheduler(t.deps);
    const job = makeJob(t.deps, "true", { cron: "*/5 * * * *", catchUp });
    s.stop(); // Berth is down from 00:00:30 ...
    clock.set(Date.parse("2026-01-01T01:02:00Z")); // ... to 01:02: twelve fires missed
    s = startScheduler(t.deps);
    s.stop();
    return runsOf(job).map((r) => r.status);
  };

  it("records missed fires as missed under catch-up skip", () => {
    expect(downFor("skip")).toEqual(Array(12).fill("missed"));
  });
  it("runs once for missed fires under catch-up once, recording the others", () => {
    const got = downFor("once");
    expect(got.filter((s) => s === "missed")).toHaveLength(11);
    expect(got.filter((s) => s === "queued")).toHaveLength(1);
  });
  it("runs every missed fire under catch-up all", () => {
    expect(downFor("all")).toEqual(Array(12).fill("queued"));
  });

  it("fires nothing while scheduling is paused, and resumes after", () => {
    const clock = manualClock(T0);
    t.deps.jobs.clock = clock;
    const s = startScheduler(t.deps);
    const job = makeJob(t.deps, "true", { cron: "*/5 * * * *" });
    setScheduling(t.deps, true, "maintenance");
    clock.set(Date.parse("2026-01-01T00:05:00Z"));
    expect(runsOf(job)).toHaveLength(0);
    setScheduling(t.deps, false);
    clock.set(Date.parse("2026-01-01T00:10:00Z"));
    expect(runsOf(job)).toHaveLength(1);
    s.stop();
  });

  it("follows croner's daylight-saving rules", () => {
    const tz = "Europe/Berlin";
    // spring forward: 02:30 does not exist on 2026-03-29; a fixed-time job runs at 03:00
    const spring = nextFire("30 2 * * *", tz, Date.parse("2026-03-28T12:00:00Z"));
    const after = nextFire("30 2 * * *", tz, spring ?? 0);
    expect(new Date(after ?? 0).toISOString()).toBe("2026-03-30T00:30:00.000Z");
    expect(spring).toBe(Date.parse("2026-03-29T01:00:00Z"));
    // fall back: 02:30 happens twice on 2026-10-25; a fixed-time job runs once
    const fall = nextFire("30 2 * * *", tz, Date.parse("2026-10-24T12:00:00Z"));
    expect(fall).toBe(Date.parse("2026-10-25T00:30:00Z"));
    expect(nextFire("30 2 * * *", tz, fall ?? 0)).toBe(Date.parse("2026-10-26T01:30:00Z"));
  });

  it("fires in real time and the runs succeed", async () => {
    t.deps.jobs.clock = realClock;
    const pool = startJobWorkers(t.deps);
    const s = startScheduler(t.deps);
    const job = makeJob(t.deps, "echo tick", { cron: "* * * * * *" });
    const end = Date.now() + 8000;
    while (runsOf(job).filter((r) => r.status === "succeeded").length < 2 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 100));
    s.stop();
    const ok = runsOf(job).filter((r) => r.status === "succeeded");
    expect(ok.length).toBeGreaterThanOrEqual(2);
    await waitRun(t.deps, ok[0]?.id ?? "", (r) => r.trigger === "schedule");
    await pool.stop();
  }, 15_000);
});
