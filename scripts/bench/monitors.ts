/**
 * 2,000 HTTP monitors at a 30 s interval against a local server, in the real Berth
 * process (node src/main.ts). Measures, over a window after one interval of warm-up:
 *   - Berth's CPU (utime + stime from /proc) as a share of 2 cores, and as a ratio
 *     to a reference: a bare node loop making the same requests (monitor-target.ts
 *     --reference), measured for the same length of time in the same run;
 *   - start drift: how late each check started against its schedule, from the stored
 *     checks (start_n − (start_{n−1} + latency_{n−1} + interval));
 *   - database growth: bytes per stored check (dbstat after the run) and the projected
 *     size per day: raw checks and minute roll-ups kept 24 h, hours 30 d, days 365 d.
 *
 * Usage: node scripts/bench/monitors.ts   (BENCH_MONITORS=2000 BENCH_MINUTES=5)
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import { startServer } from "../../test/helpers/server.ts";
import {
  api,
  cpuMs,
  emitResult,
  fmt,
  percentile,
  ROOT,
  removeDir,
  sleep,
  startBerth,
  tempDir,
} from "./lib.ts";

const N = Number(process.env.BENCH_MONITORS ?? 2000);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 5);
const INTERVAL = 30;
const CORES = 2;

function startTarget(args: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, "scripts/bench/monitor-target.ts"), ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once("exit", (code) => reject(new Error(`target exited ${code}`)));
  });
}

const stopChild = (c: ChildProcess) =>
  new Promise<void>((r) => {
    if (c.exitCode !== null) return r();
    c.once("exit", () => r());
    c.kill("SIGTERM");
  });

async function main() {
  const dir = tempDir("monitors");
  const target = await startTarget();
  let berth = await startBerth(dir, { BERTH_AUTO_MONITORS: "off" });
  try {
    process.stderr.write(`creating ${N} monitors...\n`);
    for (let i = 0; i < N; i++) {
      const res = await api(berth.url, "/monitors", "POST", {
        name: `m${i}`,
        kind: "http",
        url: `http://127.0.0.1:${target.port}/m/${i}`,
        interval: INTERVAL,
        timeoutMs: 10_000,
      });
      if (res.status !== 201)
        throw new Error(`monitor ${i}: ${res.status} ${JSON.stringify(res.json)}`);
    }
    // a restart loads them as a running server does: first checks spread over one interval
    await berth.stop();
    berth = await startServer(dir);
    process.stderr.write(`warming up for ${INTERVAL} s, then measuring for ${MINUTES} min...\n`);
    await sleep(INTERVAL * 1000);
    const from = Date.now();
    const cpu0 = cpuMs(berth.pid).own;
    const t0 = performance.now();
    await sleep(MINUTES * 60_000);
    const berthCpu = cpuMs(berth.pid).own - cpu0;
    const wall = performance.now() - t0;
    const to = Date.now();
    // the pages Uptime Kuma's users find stuck at a few hundred monitors: timed with all 2,000
    const timed = async (p: string) => {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 5; i++) {
        const s0 = performance.now();
        const res = await fetch(`${berth.url}${p}`, {
          headers: { authorization: `Bearer ${berth.key}` },
        });
        bytes = (await res.arrayBuffer()).byteLength;
        if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
        times.push(performance.now() - s0);
      }
      return { ms: percentile(times, 50), kib: Math.round(bytes / 1024) };
    };
    const page = await timed("/monitors");
    const list = await timed("/api/v1/monitors");
    await berth.stop();

    process.stderr.write(`reference loop for ${MINUTES} min...\n`);
    const ref = await startTarget([
      "--reference",
      String(N),
      String(INTERVAL),
      String(target.port),
    ]);
    await sleep(INTERVAL * 1000);
    const r0 = cpuMs(ref.child.pid as number).own;
    const rt0 = performance.now();
    await sleep(MINUTES * 60_000);
    const refCpu = cpuMs(ref.child.pid as number).own - r0;
    const refWall = performance.now() - rt0;
    await stopChild(ref.child);

    const db = new Database(path.join(dir, "berth.db"), { readonly: true });
    const rows = db
      .prepare(
        "select monitor_id m, at, latency_ms l, ok from monitor_checks where at >= ? and at < ? order by monitor_id, at",
      )
      .all(from - INTERVAL * 1000, to) as { m: number; at: number; l: number; ok: number }[];
    const drift: number[] = [];
    let failed = 0;
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1] as (typeof rows)[number];
      const b = rows[i] as (typeof rows)[number];
      if (b.at >= from && !b.ok) failed++;
      if (a.m !== b.m || b.at < from) continue;
      drift.push(Math.max(0, b.at - (a.at + a.l + INTERVAL * 1000)));
    }
    const size = (name: string) =>
      (
        db
          .prepare("select coalesce(sum(pgsize), 0) s from dbstat where name = ? or name like ?")
          .get(name, `${name}_%`) as { s: number }
      ).s;
    const count = (t: string) =>
      (db.prepare(`select count(*) n from ${t}`).get() as { n: number }).n;
    const perCheck = size("monitor_checks") / Math.max(1, count("monitor_checks"));
    const statRows = count("monitor_stats");
    const perStat =
      (size("monitor_stats") + size("sqlite_autoindex_monitor_stats")) / Math.max(1, statRows);
    db.close();

    const checksPerDay = N * (86_400 / INTERVAL);
    const rawSteady = checksPerDay * perCheck; // raw checks: one day kept
    const minuteSteady = N * 1440 * perStat; // minute roll-ups: one day kept
    const hourPerDay = N * 24 * perStat; // hour roll-ups: grow for 30 days
    const dayPerDay = N * perStat; // day roll-ups: grow for 365 days
    const cpuShare = berthCpu / (wall * CORES);
    const refShare = refCpu / (refWall * CORES);
    const mb = (b: number) => b / 1024 / 1024;
    const result = {
      monitors: N,
      intervalS: INTERVAL,
      windowMin: MINUTES,
      checks: drift.length,
      monitorsPageMs: Number(fmt(page.ms, 0)),
      monitorsPageKiB: page.kib,
      monitorsApiMs: Number(fmt(list.ms, 0)),
      failedChecks: failed,
      cpuPctOf2Cores: Number(fmt(cpuShare * 100, 2)),
      referenceCpuPctOf2Cores: Number(fmt(refShare * 100, 2)),
      cpuVsReference: Number(fmt(cpuShare / Math.max(1e-9, refShare), 2)),
      driftP50Ms: percentile(drift, 50),
      driftP99Ms: percentile(drift, 99),
      driftMaxMs: Math.max(...drift),
      bytesPerCheck: Number(fmt(perCheck, 1)),
      bytesPerRollup: Number(fmt(perStat, 1)),
      steadyRawMiB: Number(fmt(mb(rawSteady + minuteSteady), 0)),
      growthPerDayMiB: Number(fmt(mb(hourPerDay + dayPerDay), 2)),
      sizeAfterYearMiB: Number(
        fmt(mb(rawSteady + minuteSteady + hourPerDay * 30 + dayPerDay * 365), 0),
      ),
    };
    process.stderr.write(`${JSON.stringify(result, null, 2)}\n`);
    emitResult("monitors", result);
  } finally {
    await berth.stop().catch(() => undefined);
    await stopChild(target.child);
    removeDir(dir);
  }
}

await main();
