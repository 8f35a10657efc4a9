/**
 * Webhook acknowledgement latency: signed GitHub push deliveries sent 50 at a
 * time (each its own connection, distinct X-GitHub-Delivery ids) to
 * `POST /hooks/github/{service}` of a real server whose service has a git source
 * (a bare repository over file://, an instant build command). Each request is
 * timed from its start to the end of its answer (a 202); p50/p95/p99/max over
 * all rounds. Reference in the same run: `GET /healthz` at the same 50-way
 * concurrency, interleaved round by round.
 *
 * Two variants, measured in two phases:
 * - "ignored": pushes to `refs/heads/feature`, a branch mapped to no
 *   environment: the delivery is verified, parsed and recorded, nothing is
 *   queued. The builder stays idle.
 * - "queued": pushes to `refs/heads/main`, mapped to `production`: every
 *   delivery queues a build (of a real commit, command `true`), so from the
 *   first round on the builder clones, zips and deploys in the background
 *   while deliveries keep arriving.
 * After the "queued" phase the builds are counted through the API (one per
 * accepted delivery, the ids answered all distinct), and one round of already
 * used delivery ids is sent again: each must be answered "duplicate" and queue
 * nothing.
 *
 * Usage: node scripts/bench/webhook-ack.ts   (BENCH_ROUNDS=10 per variant, min 5;
 * BENCH_CONCURRENCY=50)
 */
import { createHmac } from "node:crypto";
import { request } from "node:http";
import path from "node:path";
import { createBareRepo } from "../../test/helpers/bare-repo.ts";
import type { RunningServer } from "../../test/helpers/server.ts";
import {
  api,
  cpuMs,
  createService,
  emitResult,
  fmt,
  now,
  percentile,
  removeDir,
  sleep,
  startBerth,
  tempDir,
} from "./lib.ts";
import { loopProbeEnv, loopRead, loopReset } from "./loop.ts";

const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 10));
const CONCURRENCY = Math.min(200, Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 50)));
const TARGET_P99_MS = 100;
const SERVICE = "hooks";
const GAP_MS = 100;
let loopFile = "";

type Answer = { ms: number; status: number; body: string };

/** One request on its own connection (as a webhook sender opens one per delivery). */
function send(
  port: number,
  method: "GET" | "POST",
  p: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: p,
        agent: false,
        headers: {
          connection: "close",
          ...(body ? { "content-length": String(body.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ ms: now() - t0, status: res.statusCode ?? 0, body: text }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

type Delivery = { id: string; headers: Record<string, string>; body: Buffer };

/** A GitHub push delivery, signed (X-Hub-Signature-256) with the service's webhook secret. */
function pushDelivery(secret: string, id: string, branch: string, commit: string): Delivery {
  const body = Buffer.from(
    JSON.stringify({
      ref: `refs/heads/${branch}`,
      before: "0".repeat(40),
      after: commit,
      deleted: false,
      head_commit: { id: commit, message: `bench push ${id}` },
      pusher: { name: "bench" },
      repository: { full_name: "bench/hooks" },
    }),
  );
  const signature = createHmac("sha256", secret).update(body).digest("hex");
  return {
    id,
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/bench",
      "x-github-event": "push",
      "x-github-delivery": id,
      "x-hub-signature-256": `sha256=${signature}`,
    },
  };
}

/** Sends a whole round at once (signatures made beforehand); answers in send order. */
const deliverRound = (port: number, round: Delivery[]) =>
  Promise.all(round.map((d) => send(port, "POST", `/hooks/github/${SERVICE}`, d.headers, d.body)));

const healthRound = (port: number) =>
  Promise.all(Array.from({ length: CONCURRENCY }, () => send(port, "GET", "/healthz")));

function expectAll(answers: Answer[], status: number, what: string, bodyStatus?: string) {
  for (const a of answers) {
    const got = bodyStatus ? (JSON.parse(a.body) as { status?: string }).status : undefined;
    if (a.status !== status || got !== bodyStatus) {
      throw new Error(`${what}: expected ${status} ${bodyStatus ?? ""}, got ${a.status} ${a.body}`);
    }
  }
}

type Stats = { n: number; p50: number; p95: number; p99: number; max: number };
const stats = (xs: number[]): Stats => ({
  n: xs.length,
  p50: percentile(xs, 50),
  p95: percentile(xs, 95),
  p99: percentile(xs, 99),
  max: Math.max(...xs),
});
const show = (s: Stats) =>
  `p50 ${fmt(s.p50)}  p95 ${fmt(s.p95)}  p99 ${fmt(s.p99)}  max ${fmt(s.max)} ms  (n=${s.n})`;

/** All builds of the service, through the paginated API. */
async function listBuilds(base: string) {
  type Page = {
    items: { id: string; trigger: string; environment: string | null; status: string }[];
  };
  const all: Page["items"] = [];
  let before = "";
  for (let page = 0; page < 1000; page++) {
    const q = `limit=100${before ? `&before=${encodeURIComponent(before)}` : ""}`;
    const { status, json } = await api<Page & { nextCursor: string | null }>(
      base,
      `/services/${SERVICE}/builds?${q}`,
    );
    if (status !== 200) throw new Error(`listing builds: ${status}`);
    all.push(...json.items);
    if (!json.nextCursor) return all;
    before = json.nextCursor;
  }
  throw new Error("listing builds: too many pages");
}

/**
 * One phase: a warm-up round of each kind, then ROUNDS rounds of deliveries and of
 * /healthz, alternating which goes first.
 */
async function phase(
  server: RunningServer,
  label: string,
  makeRound: (round: number) => Delivery[],
  expectBody: string,
) {
  await loopReset(server.pid, loopFile);
  const hook: number[] = [];
  const health: number[] = [];
  const roundMax: number[] = [];
  let hookCpu = 0;
  let healthCpu = 0;
  const sent: Delivery[] = [];
  const answers: Answer[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    const round = makeRound(r);
    const hooks = async () => {
      const cpu0 = cpuMs(server.pid).own;
      const a = await deliverRound(server.port, round);
      const cpu = cpuMs(server.pid).own - cpu0;
      expectAll(a, 202, `${label} round ${r}`, expectBody);
      sent.push(...round);
      answers.push(...a);
      if (r === 0) return;
      hook.push(...a.map((x) => x.ms));
      roundMax.push(Math.max(...a.map((x) => x.ms)));
      hookCpu += cpu;
    };
    const healthz = async () => {
      const cpu0 = cpuMs(server.pid).own;
      const a = await healthRound(server.port);
      const cpu = cpuMs(server.pid).own - cpu0;
      expectAll(a, 200, `healthz round ${r}`);
      if (r === 0) return;
      health.push(...a.map((x) => x.ms));
      healthCpu += cpu;
    };
    if (r % 2) {
      await healthz();
      await sleep(GAP_MS);
      await hooks();
    } else {
      await hooks();
      await sleep(GAP_MS);
      await healthz();
    }
    await sleep(GAP_MS);
  }
  const h = stats(hook);
  const ref = stats(health);
  console.log(`${label.padEnd(8)} webhook: ${show(h)}`);
  console.log(`${label.padEnd(8)} healthz: ${show(ref)}`);
  // server CPU per request (/proc, 10 ms ticks summed over the rounds); in the "queued"
  // phase it includes the builder's in-process work (zip, validate, extract) meanwhile
  const cpu = { webhookMs: hookCpu / hook.length, healthzMs: healthCpu / health.length };
  console.log(
    `${label.padEnd(8)} p99 ratio webhook/healthz ${fmt(h.p99 / ref.p99, 2)}; server CPU per request: webhook ${fmt(cpu.webhookMs, 2)} ms, healthz ${fmt(cpu.healthzMs, 2)} ms; slowest answer per round: ${roundMax.map((x) => fmt(x, 0)).join(" ")} ms`,
  );
  const loop = await loopRead(server.pid, loopFile);
  console.log(
    `${label.padEnd(8)} server event-loop delay (monitorEventLoopDelay): p99 ${fmt(loop.p99)} ms, max ${fmt(loop.max)} ms`,
  );
  return { webhook: h, healthz: ref, p99Ratio: h.p99 / ref.p99, cpu, loop, sent, answers };
}

async function main(): Promise<void> {
  const work = tempDir("hooks");
  let server: RunningServer | undefined;
  try {
    const repo = createBareRepo(path.join(work, "repo"), {
      "site/index.html": "<!doctype html><title>hooks</title><p>hooks</p>\n",
    });
    const commit = repo.commit({ "README.md": "bench\n" }, "second commit");
    loopFile = path.join(work, "loop.json");
    server = await startBerth(path.join(work, "data"), loopProbeEnv(loopFile));
    await createService(server.url, SERVICE);
    const put = await api<{ webhookSecret?: string }>(
      server.url,
      `/services/${SERVICE}/source`,
      "PUT",
      {
        repoUrl: repo.url,
        commands: ["true"],
        outputDir: "site",
        branches: { main: "production" },
      },
    );
    const secret = put.json.webhookSecret;
    if (put.status !== 200 || !secret) throw new Error(`configuring the source: ${put.status}`);

    const ids = (variant: string, r: number) =>
      Array.from({ length: CONCURRENCY }, (_, i) => `${variant}-${process.pid}-${r}-${i}`);
    console.log(
      `${CONCURRENCY} concurrent requests per round, ${ROUNDS} rounds (+1 warm-up) per variant, one connection per request`,
    );
    const ignored = await phase(
      server,
      "ignored",
      (r) => ids("ignored", r).map((id) => pushDelivery(secret, id, "feature", commit)),
      "ignored",
    );
    const queued = await phase(
      server,
      "queued",
      (r) => ids("queued", r).map((id) => pushDelivery(secret, id, "main", commit)),
      "queued",
    );

    // nothing lost, nothing doubled: one build per accepted delivery of the "queued" phase
    const answeredIds = queued.answers.map(
      (a) => (JSON.parse(a.body) as { buildId: string }).buildId,
    );
    const builds = await listBuilds(server.url);
    const fromHooks = builds.filter((b) => b.trigger === "github");
    const listed = new Set(fromHooks.map((b) => b.id));
    const distinct = new Set(answeredIds);
    const missing = answeredIds.filter((id) => !listed.has(id)).length;
    const strays = fromHooks.filter((b) => b.environment !== "production").length;
    // the same delivery ids once more, all at once: each answered "duplicate", nothing queued
    const resend = queued.sent.slice(0, CONCURRENCY);
    const again = await deliverRound(server.port, resend);
    expectAll(again, 200, "resent deliveries", "duplicate");
    const after = (await listBuilds(server.url)).length;
    const check = {
      deliveries: queued.sent.length,
      buildIdsAnswered: distinct.size,
      buildsListed: fromHooks.length,
      missing,
      strays,
      resent: resend.length,
      buildsAfterResend: after,
    };
    const intact =
      distinct.size === queued.sent.length &&
      fromHooks.length === queued.sent.length &&
      builds.length === fromHooks.length &&
      missing === 0 &&
      strays === 0 &&
      after === builds.length;
    console.log(
      `queued check: ${check.deliveries} deliveries -> ${check.buildIdsAnswered} distinct build ids answered, ${check.buildsListed} builds listed (${missing} missing, ${strays} not for production); ${resend.length} resent -> all "duplicate", builds still ${after}: ${intact ? "OK" : "MISMATCH"}`,
    );
    // how far the builder got meanwhile (it ran builds throughout the "queued" phase)
    const byStatus: Record<string, number> = {};
    for (const b of fromHooks) byStatus[b.status] = (byStatus[b.status] ?? 0) + 1;
    console.log(`builds by status at the check: ${JSON.stringify(byStatus)}`);
    const p99 = Math.max(ignored.webhook.p99, queued.webhook.p99);
    const result = {
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      ignored: {
        webhook: ignored.webhook,
        healthz: ignored.healthz,
        p99Ratio: ignored.p99Ratio,
        cpu: ignored.cpu,
        loop: ignored.loop,
      },
      queued: {
        webhook: queued.webhook,
        healthz: queued.healthz,
        p99Ratio: queued.p99Ratio,
        cpu: queued.cpu,
        loop: queued.loop,
      },
      check,
      intact,
      buildsByStatus: byStatus,
      targetP99Ms: TARGET_P99_MS,
      met: p99 < TARGET_P99_MS,
    };
    console.log(
      `target p99 < ${TARGET_P99_MS} ms: ignored ${fmt(ignored.webhook.p99)} ms, queued ${fmt(queued.webhook.p99)} ms: ${result.met ? "MET" : "MISSED"}`,
    );
    emitResult("webhook-ack", result);
    if (!intact) throw new Error("builds queued do not match the deliveries");
  } finally {
    await server?.stop();
    removeDir(work);
  }
}

await main();
