/**
 * The home page at scale: 400 services × 2 environments, each environment with 5
 * deployments (one live), each service with 3 builds, every fourth with 10 open error
 * groups, written straight into a fresh database before the real server starts. Then
 * `GET /` (the first page: 200 services, 400 rows, errors column) and a search
 * (`GET /?q=svc-01`), each BENCH_ROUNDS times, interleaved with `GET /healthz` as the
 * reference; the usage section (loaded by the page afterwards) is timed too. Target: the
 * full page in < 200 ms (p95).
 *
 * Usage: node scripts/bench/dashboard-load.ts   (BENCH_ROUNDS=30)
 */
import fs from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { openDb } from "../../src/db/client.ts";
import { emitResult, fmt, median, now, percentile, removeDir, startBerth, tempDir } from "./lib.ts";

const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 30));
const SERVICES = 400;
const TARGET_MS = 200;

function seed(dataDir: string): void {
  const db = openDb(path.join(dataDir, "berth.db"));
  const c = db.$client;
  const t0 = Date.now() - 86_400_000;
  const svc = c.prepare("INSERT INTO services (name, kind) VALUES (?, 'static')");
  const env = c.prepare("INSERT INTO environments (service_id, name) VALUES (?, ?)");
  const dep = c.prepare(
    `INSERT INTO deployments (id, environment_id, status, bundle_sha256, bundle_format, bundle_bytes, message, "commit", created_at, activated_at)
     VALUES (?, ?, ?, 'x', 'zip', 100, ?, ?, ?, ?)`,
  );
  const live = c.prepare("UPDATE environments SET live_deployment_id = ? WHERE id = ?");
  const build = c.prepare(
    "INSERT INTO builds (id, service_id, status, trigger, triggered_by, ref, environment, created_at) VALUES (?, ?, ?, 'manual', 'bench', 'main', ?, ?)",
  );
  const group = c.prepare(
    `INSERT INTO error_groups (service_id, key, title, culprit, level, count, environments, first_seen, last_seen)
     VALUES (?, ?, 'Error: x', 'f (a.js)', 'error', 3, '["production"]', ?, ?)`,
  );
  let n = 0;
  const id = () => `0${String(++n).padStart(25, "0")}`;
  c.transaction(() => {
    for (let s = 0; s < SERVICES; s++) {
      const sid = Number(svc.run(`svc-${String(s).padStart(3, "0")}`).lastInsertRowid);
      for (const name of ["production", "staging"]) {
        const eid = Number(env.run(sid, name).lastInsertRowid);
        let last = "";
        for (let d = 0; d < 5; d++) {
          last = id();
          dep.run(
            last,
            eid,
            d === 4 ? "live" : "superseded",
            `release ${d}`,
            "4f2a9c1",
            t0 + d * 1000,
            t0 + d * 1000,
          );
        }
        live.run(last, eid);
        // the live release on disk, as a deploy leaves it (start-up checks it)
        const envDir = path.join(dataDir, "sites", `svc-${String(s).padStart(3, "0")}`, name);
        fs.mkdirSync(path.join(envDir, "releases", last), { recursive: true });
        fs.writeFileSync(path.join(envDir, "releases", last, "index.html"), "<h1>x</h1>");
        fs.symlinkSync(path.join("releases", last), path.join(envDir, "current"));
      }
      for (let b = 0; b < 3; b++) build.run(id(), sid, "succeeded", "production", t0 + b);
      if (s % 4 === 0) for (let g = 0; g < 10; g++) group.run(sid, `k${s}-${g}`, t0, t0);
    }
  })();
  c.close();
}

function get(
  port: number,
  p: string,
  key: string,
): Promise<{ ms: number; status: number; bytes: number }> {
  const started = now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: p, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        let bytes = 0;
        res.on("data", (d: Buffer) => {
          bytes += d.length;
        });
        res.on("end", () => resolve({ ms: now() - started, status: res.statusCode ?? 0, bytes }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const dir = tempDir("dashboard");
let server: Awaited<ReturnType<typeof startBerth>> | undefined;
try {
  const dataDir = path.join(dir, "data");
  seed(dataDir);
  server = await startBerth(dataDir, { BERTH_LOG_LEVEL: "warn" });
  const { port, key } = server;
  const page: number[] = [];
  const search: number[] = [];
  const healthz: number[] = [];
  const usage: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) await get(port, "/", key); // warm-up
  for (let i = 0; i < ROUNDS; i++) {
    const a = await get(port, "/", key);
    if (a.status !== 200) throw new Error(`GET / answered ${a.status}`);
    bytes = a.bytes;
    page.push(a.ms);
    search.push((await get(port, "/?q=svc-01", key)).ms);
    healthz.push((await get(port, "/healthz", key)).ms);
    usage.push((await get(port, "/ui/dashboard/usage", key)).ms);
  }
  const result = {
    pageP50: median(page),
    pageP95: percentile(page, 95),
    searchP50: median(search),
    usageP50: median(usage),
    healthzP50: median(healthz),
    ratioToHealthz: median(page) / median(healthz),
    pageBytes: bytes,
  };
  process.stdout.write(
    `GET / (200 of ${SERVICES} services, 400 rows, ${fmt(bytes / 1024, 0)} KiB): p50 ${fmt(result.pageP50)} ms, p95 ${fmt(result.pageP95)} ms\n` +
      `GET /?q=svc-01: p50 ${fmt(result.searchP50)} ms; /healthz p50 ${fmt(result.healthzP50, 2)} ms (page / healthz ${fmt(result.ratioToHealthz, 0)}×)\n` +
      `GET /ui/dashboard/usage (loaded after the page, 400 static environments): p50 ${fmt(result.usageP50)} ms\n` +
      `target p95 < ${TARGET_MS} ms: ${result.pageP95 < TARGET_MS ? "met" : "NOT met"}\n`,
  );
  emitResult("dashboard-load", result);
} finally {
  await server?.stop();
  removeDir(dir);
}
