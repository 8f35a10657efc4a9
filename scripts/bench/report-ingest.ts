/**
 * Error-report ingest throughput: 20 concurrent senders (keep-alive connections, as SDKs
 * hold them) post realistic Sentry envelopes (one ~3 KB event each: a 12-frame stack, tags,
 * user, request, breadcrumbs; gzip) to `POST /api/{project}/envelope/` of a real server, for
 * BENCH_SECONDS. Events spread over 20 error types (groups) and 500 users; every
 * event_id is new. Reference in the same run: `GET /healthz` from the same 20 senders,
 * before and after (their mean). The server's event-loop delay (p99) during ingest comes
 * from a probe preloaded into it (eld-probe.ts). Afterwards the stored count is checked
 * through the API: every 200 answered is one event counted.
 *
 * Usage: node scripts/bench/report-ingest.ts   (BENCH_SECONDS=10, BENCH_CONCURRENCY=20)
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { Agent, request } from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import {
  api,
  createService,
  emitResult,
  fmt,
  removeDir,
  sleep,
  startBerth,
  tempDir,
} from "./lib.ts";

const SECONDS = Math.max(3, Number(process.env.BENCH_SECONDS ?? 10));
const CONCURRENCY = Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 20));
const TARGET_EPS = 2000;
const TARGET_ELD_P99_MS = 50;

function realisticEvent(i: number): Record<string, unknown> {
  const kind = i % 20;
  const frames = Array.from({ length: 12 }, (_, f) => ({
    filename:
      f < 7 ? `/app/node_modules/framework/lib/layer${f}.js` : `/app/src/routes/orders-${kind}.js`,
    abs_path:
      f < 7 ? `/app/node_modules/framework/lib/layer${f}.js` : `/app/src/routes/orders-${kind}.js`,
    function: f < 7 ? `Layer.handle${f}` : `handleOrder${kind}Step${f}`,
    lineno: 10 + f * 7,
    colno: 5 + f,
    in_app: f >= 7,
    module: f < 7 ? `framework.lib.layer${f}` : `routes.orders-${kind}`,
  }));
  return {
    event_id: randomBytes(16).toString("hex"),
    timestamp: Date.now() / 1000,
    platform: "node",
    level: "error",
    release: "01jd3k9x7m2q4r5s6t7v8w9x0y@4f2a9c1",
    environment: "production",
    server_name: "web-1",
    exception: {
      values: [
        {
          type: kind % 2 ? "TypeError" : "Error",
          value: `Order ${1000 + i} could not be processed (kind ${kind})`,
          stacktrace: { frames },
          mechanism: { type: "onuncaughtexception", handled: false },
        },
      ],
    },
    tags: { region: "eu-west", route: `/orders/${kind}`, node: "v24" },
    user: { id: `user-${i % 500}`, ip_address: "203.0.113.7" },
    request: {
      url: `https://shop.example.com/orders/${1000 + i}`,
      method: "POST",
      headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130" },
    },
    breadcrumbs: Array.from({ length: 3 }, (_, b) => ({
      timestamp: Date.now() / 1000 - b,
      category: "http",
      message: `GET /api/items/${b} 200`,
    })),
    sdk: { name: "sentry.javascript.node", version: "11.12.0" },
    contexts: { runtime: { name: "node", version: "v24.11.0" }, os: { name: "Linux" } },
  };
}

function envelope(dsn: string, i: number): { body: Buffer; raw: number } {
  const event = realisticEvent(i);
  const payload = JSON.stringify(event);
  const text = `${JSON.stringify({ event_id: event.event_id, dsn, sent_at: new Date().toISOString() })}\n${JSON.stringify({ type: "event", length: Buffer.byteLength(payload) })}\n${payload}\n`;
  return { body: zlib.gzipSync(text), raw: Buffer.byteLength(text) };
}

type Target = {
  path: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: () => Buffer;
};

/** `CONCURRENCY` loops over keep-alive connections for `ms`; counts 2xx and others. */
async function load(port: number, t: Target, ms: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const end = Date.now() + ms;
  let ok = 0;
  let other = 0;
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const body = t.body?.();
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: t.path,
          method: t.method,
          agent,
          headers: { ...t.headers, ...(body ? { "content-length": body.length } : {}) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const s = await one();
        if (s >= 200 && s < 300) ok++;
        else other++;
      }
    }),
  );
  agent.destroy();
  const secs = (Date.now() - started) / 1000;
  return { ok, other, perSecond: ok / secs, answersPerSecond: (ok + other) / secs };
}

const dir = tempDir("report-ingest");
let server: Awaited<ReturnType<typeof startBerth>> | undefined;
try {
  const eldFile = path.join(dir, "eld.json");
  server = await startBerth(path.join(dir, "data"), {
    BERTH_LOG_LEVEL: "warn",
    BERTH_REPORT_RATE_PER_MINUTE: "100000000",
    NODE_OPTIONS: `--import ${path.resolve(import.meta.dirname, "eld-probe.ts")} ${process.env.BENCH_SERVER_NODE_OPTIONS ?? ""}`,
    BENCH_ELD_FILE: eldFile,
  });
  const base = server.url;
  await createService(base, "shop");
  const { json } = await api<{ dsn: string }>(base, "/services/shop/reporting");
  const dsn = json.dsn;
  const project = new URL(dsn).pathname.slice(1);
  // pre-built bodies so the client spends its CPU on sending, not on gzip
  // every event_id distinct: enough bodies for the warm-up and the run at twice the goal
  const bodies = Array.from({ length: (SECONDS + 2) * 2 * TARGET_EPS }, (_, i) => envelope(dsn, i));
  const rawMean = bodies.reduce((a, b) => a + b.raw, 0) / bodies.length;
  const gzMean = bodies.reduce((a, b) => a + b.body.length, 0) / bodies.length;
  let next = 0;
  const healthz: Target = { path: "/healthz", method: "GET" };
  const ingest: Target = {
    path: `/api/${project}/envelope/`,
    method: "POST",
    headers: { "content-type": "application/x-sentry-envelope", "content-encoding": "gzip" },
    body: () => (bodies[next++ % bodies.length] as { body: Buffer }).body,
  };
  // warm-up, then reference, ingest (with the loop-delay probe), reference again
  await load(server.port, healthz, 1000);
  await load(server.port, { ...ingest }, 1000);
  type Eld = { p50: number; p99: number; max: number };
  process.kill(server.pid, "SIGUSR2");
  await sleep(200);
  const h1 = await load(server.port, healthz, (SECONDS * 1000) / 2);
  process.kill(server.pid, "SIGUSR2");
  // the loop delay under /healthz load: what the machine alone does to it
  const eldHealthz = JSON.parse(fs.readFileSync(eldFile, "utf8")) as Eld;
  await sleep(200);
  const before = (
    await api<{ groups: { count: number }[] }>(base, "/services/shop/errors?status=unresolved")
  ).json.groups.reduce((a, g) => a + g.count, 0);
  const run = await load(server.port, ingest, SECONDS * 1000);
  process.kill(server.pid, "SIGUSR2");
  await sleep(200);
  const eld = JSON.parse(fs.readFileSync(eldFile, "utf8")) as {
    p50: number;
    p99: number;
    max: number;
  };
  const h2 = await load(server.port, healthz, (SECONDS * 1000) / 2);
  // a second reference: the same POST path refused at once (no key), to tell the HTTP
  // cost of a POST from the work of storing an event
  const refused = await load(
    server.port,
    { ...ingest, headers: {}, body: () => Buffer.from('{"event_id":"x"}\n') },
    3000,
  );
  const after = (
    await api<{ groups: { count: number }[] }>(base, "/services/shop/errors?status=unresolved")
  ).json.groups.reduce((a, g) => a + g.count, 0);
  const healthzRps = (h1.perSecond + h2.perSecond) / 2;
  const result = {
    eventsPerSecond: Math.round(run.ok),
    ratioToHealthz: run.perSecond / healthzRps,
    healthzPerSecond: Math.round(healthzRps),
    ingestPerSecond: Math.round(run.perSecond),
    refused: run.other,
    refusedPostPerSecond: Math.round(refused.answersPerSecond),
    stored: after - before,
    eldP50: eld.p50,
    eldP99: eld.p99,
    eldMax: eld.max,
    eldHealthzP99: eldHealthz.p99,
    eventBytes: Math.round(rawMean),
    gzipBytes: Math.round(gzMean),
  };
  process.stdout.write(
    `ingest: ${fmt(run.perSecond, 0)} events/s (${run.ok} in ${SECONDS} s, ${run.other} refused), ` +
      `/healthz: ${fmt(healthzRps, 0)} req/s, ratio ${fmt(result.ratioToHealthz, 2)}; ` +
      `a POST refused at once (no key): ${fmt(refused.answersPerSecond, 0)} req/s\n` +
      `event loop delay during ingest: p50 ${eld.p50} ms, p99 ${eld.p99} ms, max ${eld.max} ms ` +
      `(during /healthz: p50 ${eldHealthz.p50} ms, p99 ${eldHealthz.p99} ms)\n` +
      `events: ${result.eventBytes} B raw, ${result.gzipBytes} B gzip; stored ${result.stored} (answered ${run.ok})\n` +
      `targets: >= ${TARGET_EPS} events/s ${run.perSecond >= TARGET_EPS ? "met" : "NOT met"}; ` +
      `p99 < ${TARGET_ELD_P99_MS} ms ${eld.p99 < TARGET_ELD_P99_MS ? "met" : "NOT met"}\n`,
  );
  emitResult("report-ingest", { ...result, eventsPerSecond: run.perSecond });
  if (result.stored !== run.ok) {
    process.stderr.write(`stored ${result.stored} events but answered ${run.ok} with 200\n`);
    process.exitCode = 1;
  }
} finally {
  await server?.stop();
  removeDir(dir);
}
