import { afterEach, describe, expect, it } from "vitest";
import { createMonitor } from "../../src/services/monitoring/monitors.ts";
import { summary } from "../../src/services/monitoring/stats.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { flakyHttp, flakyTcp, manualClock } from "../helpers/flaky-servers.ts";

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

/** One scheduler step at the clock's time: due checks run against the real servers. */
async function step(app: TestApp, clock: ReturnType<typeof manualClock>, ms: number) {
  clock.advance(ms);
  app.deps.monitoring.scheduler.tick();
  await app.deps.monitoring.scheduler.settle();
  app.deps.monitoring.writer.flush();
}

describe("monitors against servers that go up and down", () => {
  it("goes DOWN after the threshold, checks fast meanwhile, opens and closes an incident", async () => {
    const clock = manualClock();
    t = createTestApp({ clock });
    const site = await flakyHttp();
    const seen: string[] = [];
    t.deps.events.on("monitor.down", (e) => seen.push(`down:${e.message}`));
    t.deps.events.on("monitor.up", (e) => seen.push(`up:${e.downForMs}`));
    const { monitor } = createMonitor(t.deps, {
      name: "api",
      kind: "http",
      url: site.url,
      interval: 60,
      fastInterval: 10,
      failuresBeforeDown: 2,
      successesBeforeUp: 2,
      keyword: "ok",
    });
    const s = t.deps.monitoring.scheduler;
    await step(t, clock, 0);
    expect(s.state(monitor.id)?.status).toBe("up");
    expect(s.state(monitor.id)?.nextAt).toBe(clock.now() + 60_000);

    site.down();
    await step(t, clock, 60_000);
    // one failure: not down yet, but the next check comes at the fast interval
    expect(s.state(monitor.id)).toMatchObject({ status: "up", failures: 1 });
    expect(s.state(monitor.id)?.nextAt).toBe(clock.now() + 10_000);
    await step(t, clock, 10_000);
    expect(s.state(monitor.id)?.status).toBe("down");
    expect(seen).toEqual(["down:answered 503, expected 200"]);

    site.up();
    await step(t, clock, 10_000);
    expect(s.state(monitor.id)?.status).toBe("down"); // one success of two
    await step(t, clock, 10_000);
    expect(s.state(monitor.id)?.status).toBe("up");
    expect(seen[1]).toBe("up:20000");

    const incidents = t.deps.monitoring.repos.incidents.list({ limit: 10 });
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      message: "answered 503, expected 200",
      endedAt: clock.now(),
    });
    expect(t.deps.monitoring.repos.monitors.byId(monitor.id)?.status).toBe("up");
    const sum = summary(t.deps.monitoring.repos, monitor.id, clock.now());
    expect(sum.uptime.h24).toBe(60); // 3 of 5 checks succeeded
    expect(sum.p50Ms).not.toBeNull();
    await site.close();
  });

  it("fails a keyword check when the keyword must be absent", async () => {
    const clock = manualClock();
    t = createTestApp({ clock });
    const site = await flakyHttp();
    const { monitor } = createMonitor(t.deps, {
      name: "no-ok",
      kind: "http",
      url: site.url,
      keyword: "ok",
      keywordAbsent: true,
      failuresBeforeDown: 1,
    });
    await step(t, clock, 0);
    expect(t.deps.monitoring.scheduler.state(monitor.id)?.status).toBe("down");
    await site.close();
  });

  it("watches a TCP port as it closes and opens", async () => {
    const clock = manualClock();
    t = createTestApp({ clock });
    const tcp = await flakyTcp();
    const { monitor } = createMonitor(t.deps, {
      name: "db",
      kind: "tcp",
      host: "127.0.0.1",
      port: tcp.port,
      failuresBeforeDown: 1,
      timeoutMs: 2000,
    });
    const s = t.deps.monitoring.scheduler;
    await step(t, clock, 0);
    expect(s.state(monitor.id)?.status).toBe("up");
    await tcp.down();
    await step(t, clock, 60_000);
    expect(s.state(monitor.id)?.status).toBe("down");
    await tcp.up();
    await step(t, clock, 10_000);
    expect(s.state(monitor.id)?.status).toBe("up");
    await tcp.down();
  });

  it("alerts on a push monitor whose calls stop, and suppresses alerts in maintenance", async () => {
    const clock = manualClock();
    t = createTestApp({ clock });
    const downs: number[] = [];
    t.deps.events.on("monitor.down", (e) => downs.push(e.monitorId));
    const { monitor, pushToken } = createMonitor(t.deps, {
      name: "cron",
      kind: "push",
      interval: 60,
      fastInterval: 10,
      failuresBeforeDown: 1,
    });
    const res = await t.anon(`/push/${pushToken}`, { method: "POST" });
    expect(res.status).toBe(200);
    expect((await t.anon("/push/not-a-token")).status).toBe(404);
    await step(t, clock, 60_000 + 10_000);
    expect(t.deps.monitoring.scheduler.state(monitor.id)?.status).toBe("up");
    await step(t, clock, 60_000);
    expect(t.deps.monitoring.scheduler.state(monitor.id)?.status).toBe("down");
    expect(downs).toEqual([monitor.id]);

    // again, inside a maintenance window: recorded, not alerted
    await t.anon(`/push/${pushToken}`);
    await step(t, clock, 0);
    expect(t.deps.monitoring.scheduler.state(monitor.id)?.status).toBe("up");
    const w = await t.json("/api/v1/maintenance-windows", "POST", {
      monitorId: monitor.id,
      startsAt: new Date(clock.now()).toISOString(),
      endsAt: new Date(clock.now() + 3_600_000).toISOString(),
      note: "database upgrade",
    });
    expect(w.status).toBe(201);
    await step(t, clock, 75_000);
    await step(t, clock, 10_000);
    expect(t.deps.monitoring.scheduler.state(monitor.id)?.status).toBe("down");
    expect(downs).toEqual([monitor.id]);
    const last = t.deps.monitoring.repos.incidents.list({ limit: 1 })[0];
    expect(last?.suppressed).toBe(true);
  });
});

describe("triggers and test routes", () => {
  it("goes fast after a build starts for the service, and back to normal once healthy", async () => {
    const clock = manualClock();
    t = createTestApp({ clock });
    await t.json("/api/v1/services", "POST", { name: "shop" });
    const site = await flakyHttp();
    const { monitor } = createMonitor(t.deps, {
      name: "shop",
      kind: "http",
      url: site.url,
      service: "shop",
    });
    const s = t.deps.monitoring.scheduler;
    await step(t, clock, 0);
    expect(s.state(monitor.id)?.nextAt).toBe(clock.now() + 60_000);
    t.deps.events.emit("build.started", { service: "shop", buildId: "b1" });
    expect(s.state(monitor.id)).toMatchObject({ suspect: true, nextAt: clock.now() + 10_000 });
    await step(t, clock, 10_000);
    // healthy again: the suspicion ends and the normal interval returns
    expect(s.state(monitor.id)).toMatchObject({ suspect: false, nextAt: clock.now() + 60_000 });
    await site.close();
  });

  it("records a test route's pass or fail with the start of its answer", async () => {
    const clock = manualClock();
    t = createTestApp({ clock });
    const site = await flakyHttp();
    const { monitor } = createMonitor(t.deps, {
      name: "tests",
      kind: "test",
      url: site.url,
      failuresBeforeDown: 1,
    });
    await step(t, clock, 0);
    site.down();
    await step(t, clock, 60_000);
    const [failed, passed] = t.deps.monitoring.repos.checks.recent(monitor.id, 2);
    expect(passed).toMatchObject({ ok: true, message: "passed: all systems ok" });
    expect(failed).toMatchObject({ ok: false, code: 503, message: "failed with 503: unavailable" });
    await site.close();
  });
});

describe("roll-ups and retention with an injected clock", () => {
  it("keeps minute, hour and day buckets, computes uptime, and prunes by age", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    t = createTestApp({ clock });
    const site = await flakyHttp();
    const { monitor } = createMonitor(t.deps, {
      name: "r",
      kind: "http",
      url: site.url,
      interval: 30,
      failuresBeforeDown: 1,
    });
    // two hours at 30 s: the second hour fails for 15 minutes
    for (let i = 0; i < 240; i++) {
      if (i === 150) site.down();
      if (i === 180) site.up();
      await step(t, clock, i === 0 ? 0 : 30_000);
    }
    const repos = t.deps.monitoring.repos;
    const start = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(repos.checks.series(monitor.id, "hour", start).map((h) => [h.up, h.down])).toEqual([
      [120, 0],
      [90, 30],
    ]);
    expect(repos.checks.series(monitor.id, "minute", start)).toHaveLength(120);
    expect(repos.checks.series(monitor.id, "day", start)).toEqual([
      expect.objectContaining({ up: 210, down: 30 }),
    ]);
    expect(summary(repos, monitor.id, clock.now()).uptime).toEqual({
      h24: 87.5,
      d7: 87.5,
      d30: 87.5,
    });
    expect(t.deps.monitoring.repos.incidents.list({ limit: 5 })[0]?.context).toBeNull();

    // a day and a half later: raw checks and minutes are gone, hours and days remain
    clock.advance(36 * 3_600_000);
    const removed = t.deps.monitoring.prune();
    expect(removed).toBe(240);
    expect(repos.checks.recent(monitor.id, 10)).toHaveLength(0);
    expect(repos.checks.series(monitor.id, "minute", start)).toHaveLength(0);
    expect(repos.checks.series(monitor.id, "hour", start)).toHaveLength(2);
    expect(summary(repos, monitor.id, clock.now()).uptime).toEqual({
      h24: null,
      d7: 87.5,
      d30: 87.5,
    });
    await site.close();
  });
});
