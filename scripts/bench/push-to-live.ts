/**
 * Push to live: for a small repository (six files), the time from a git push's
 * webhook to the new commit being served, split into stages by the build's and
 * the deployment's log timestamps; against the same work done by hand in the
 * same run (`git clone --depth 1`, the same build command, `zip -qr`,
 * `unzip -q` into a fresh directory), alternating which goes first.
 *
 * One Berth run: commit + push to a bare repository over file:// (timed on its
 * own, the same for both sides, so not in the ratio), then the signed GitHub
 * push delivery is sent (the clock starts) and the site is polled
 * (`GET /` with `Host: production--<svc>.localhost:<port>`, every ~5 ms) until
 * its body carries the new commit's marker (the clock stops). Stage boundaries:
 * delivery sent → "Queued by" (receive) → "Checking out" (queue wait) →
 * "Checked out" (clone) → last `"…" finished in` (build commands) → "Artifact"
 * (zip + store) → release log "Extracting" (validate + record the deployment
 * + its queue) → "Extracted" (extract) → "Live in" (activate) → marker seen
 * (poll lag). Server and bench share the machine's clock.
 *
 * Usage: node scripts/bench/push-to-live.ts   (BENCH_RUNS=9 by default, min 7)
 */
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { createBareRepo } from "../../test/helpers/bare-repo.ts";
import { fetchSite, type RunningServer } from "../../test/helpers/server.ts";
import {
  api,
  createService,
  emitResult,
  fmt,
  median,
  now,
  releaseLog,
  removeDir,
  requireTool,
  sleep,
  startBerth,
  tempDir,
  waitLive,
} from "./lib.ts";

const RUNS = Math.max(7, Number(process.env.BENCH_RUNS ?? 9));
const SERVICE = "ptl";
const HOST = `production--${SERVICE}.localhost`;
const BUILD = "mkdir -p dist && cp -r src/* dist/";
const POLL_MS = 5;

const STAGES = [
  "receive",
  "queue",
  "clone",
  "build",
  "artifact",
  "accept",
  "extract",
  "activate",
  "seen",
] as const;
const HAND = ["clone", "build", "zip", "unzip"] as const;

const page = (marker: string) =>
  `<!doctype html><title>${marker}</title><link rel="stylesheet" href="style.css"><p>${marker}</p><script src="app.js"></script>\n`;

/** Spawns argv (no shell unless argv says so), resolves with its wall time. */
function timed(argv: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (c) => {
      err += c;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(now() - t0)
        : reject(new Error(`${argv.join(" ")} exited ${code}: ${err.slice(-500)}`)),
    );
  });
}

/** The same work by hand: clone, build, zip the output, unzip it into a fresh directory. */
async function byHand(tools: Record<string, string>, url: string, dir: string) {
  const src = path.join(dir, "src");
  const out = path.join(dir, "out.zip");
  const r: Record<(typeof HAND)[number], number> = {
    clone: await timed([tools.git as string, "clone", "--quiet", "--depth", "1", url, src], dir),
    build: await timed(["/bin/sh", "-c", BUILD], src),
    zip: await timed([tools.zip as string, "-qr", out, "."], path.join(src, "dist")),
    unzip: await timed([tools.unzip as string, "-q", out, "-d", path.join(dir, "fresh")], dir),
  };
  return { ...r, total: r.clone + r.build + r.zip + r.unzip };
}

/** Sends one signed push delivery; resolves with the wall-clock send time and the build id. */
function deliver(port: number, secret: string, commit: string, n: number) {
  const body = Buffer.from(
    JSON.stringify({
      ref: "refs/heads/main",
      after: commit,
      deleted: false,
      head_commit: { id: commit, message: `push ${n}` },
      pusher: { name: "bench" },
    }),
  );
  const signature = createHmac("sha256", secret).update(body).digest("hex");
  return new Promise<{ sentWall: number; sentAt: number; ackMs: number; buildId: string }>(
    (resolve, reject) => {
      const sentWall = Date.now();
      const sentAt = now();
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: `/hooks/github/${SERVICE}`,
          headers: {
            "content-type": "application/json",
            "content-length": String(body.length),
            "x-github-event": "push",
            "x-github-delivery": `ptl-${process.pid}-${n}`,
            "x-hub-signature-256": `sha256=${signature}`,
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c) => {
            text += c;
          });
          res.on("end", () => {
            const json = JSON.parse(text) as { status?: string; buildId?: string };
            if (res.statusCode !== 202 || json.status !== "queued" || !json.buildId)
              return reject(new Error(`delivery answered ${res.statusCode}: ${text}`));
            resolve({ sentWall, sentAt, ackMs: now() - sentAt, buildId: json.buildId });
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    },
  );
}

async function pollForMarker(server: RunningServer, marker: string, timeoutMs = 120_000) {
  const deadline = now() + timeoutMs;
  for (let polls = 1; ; polls++) {
    const res = await fetchSite(server, HOST, "/").catch(() => null);
    if (res?.status === 200 && res.body.includes(marker))
      return { at: now(), wall: Date.now(), polls };
    if (now() > deadline) throw new Error(`marker ${marker} not served after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

type Line = { at: string; message: string };
const at = (lines: Line[], test: (m: string) => boolean, what: string, last = false) => {
  const line = last ? lines.findLast((l) => test(l.message)) : lines.find((l) => test(l.message));
  if (!line) throw new Error(`no log line for ${what}`);
  return Date.parse(line.at);
};

/** One push: webhook → served, then the stages from the two logs. */
async function pushOnce(server: RunningServer, secret: string, commit: string, n: number) {
  const marker = `ptl-marker-${process.pid}-${n}`;
  const sent = await deliver(server.port, secret, commit, n);
  const served = await pollForMarker(server, marker);
  type BuildView = { status: string; commitSha: string; deployment: { id: string } | null };
  const { json: build } = await api<BuildView>(server.url, `/builds/${sent.buildId}`);
  if (build.status !== "succeeded" || !build.deployment || build.commitSha !== commit)
    throw new Error(`build ${sent.buildId}: ${JSON.stringify(build)}`);
  await waitLive(server.url, build.deployment.id);
  const blog = (await api<{ lines: Line[] }>(server.url, `/builds/${sent.buildId}/log`)).json.lines;
  const dlog = await releaseLog(server.url, build.deployment.id);
  const bounds = [
    sent.sentWall,
    at(blog, (m) => m.startsWith("Queued by"), "queued"),
    at(blog, (m) => m.startsWith("Checking out"), "checking out"),
    at(blog, (m) => m.startsWith("Checked out"), "checked out"),
    at(blog, (m) => /^".*" finished in /.test(m), "command finished", true),
    at(blog, (m) => m.startsWith("Artifact "), "artifact"),
    at(dlog, (m) => m.startsWith("Extracting"), "extracting"),
    at(dlog, (m) => m.startsWith("Extracted"), "extracted"),
    at(dlog, (m) => m.startsWith("Live in"), "live"),
    served.wall,
  ];
  const stages = Object.fromEntries(
    STAGES.map((s, i) => [s, (bounds[i + 1] as number) - (bounds[i] as number)]),
  ) as Record<(typeof STAGES)[number], number>;
  return {
    total: served.at - sent.sentAt,
    ack: sent.ackMs,
    polls: served.polls,
    ...stages,
    marker,
  };
}

async function main(): Promise<void> {
  const tools = {
    git: requireTool("git", "apt-get install -y git"),
    zip: requireTool("zip", "apt-get install -y zip"),
    unzip: requireTool("unzip", "apt-get install -y unzip"),
  };
  const work = tempDir("ptl");
  let server: RunningServer | undefined;
  try {
    const repo = createBareRepo(path.join(work, "repo"), {
      "README.md": "# ptl\n",
      "package.json": `${JSON.stringify({ name: "ptl", private: true }, null, 2)}\n`,
      "src/index.html": page("initial"),
      "src/about.html": "<!doctype html><title>about</title><p>about</p>\n",
      "src/app.js": 'document.querySelector("p").dataset.ready = "1";\n',
      "src/style.css": "body { font: 16px/1.5 sans-serif; margin: 2rem; }\n",
    });
    server = await startBerth(path.join(work, "data"));
    await createService(server.url, SERVICE);
    const put = await api<{ webhookSecret?: string }>(
      server.url,
      `/services/${SERVICE}/source`,
      "PUT",
      { repoUrl: repo.url, commands: [BUILD], outputDir: "dist", branches: { main: "production" } },
    );
    const secret = put.json.webhookSecret;
    if (put.status !== 200 || !secret) throw new Error(`configuring the source: ${put.status}`);

    type Sample = Awaited<ReturnType<typeof pushOnce>> & {
      commitPush: number;
      hand: Awaited<ReturnType<typeof byHand>>;
    };
    const samples: Sample[] = [];
    for (let i = 0; i <= RUNS; i++) {
      // run 0 warms both paths up and is not counted; the order alternates to cancel drift
      const handDir = path.join(work, `hand-${i}`);
      const hand = async () => {
        removeDir(handDir);
        fs.mkdirSync(handDir);
        const r = await byHand(tools, repo.url, handDir);
        removeDir(handDir);
        return r;
      };
      const first = i % 2 ? await hand() : undefined;
      const t0 = now();
      const commit = repo.commit(
        { "src/index.html": page(`ptl-marker-${process.pid}-${i}`) },
        `change ${i}`,
      );
      const commitPush = now() - t0;
      const b = await pushOnce(server, secret, commit, i);
      const sample: Sample = { ...b, commitPush, hand: first ?? (await hand()) };
      if (i === 0) continue;
      samples.push(sample);
      console.log(
        `run ${i}: berth ${fmt(sample.total, 0)} ms (${STAGES.map((s) => `${s} ${sample[s]}`).join(", ")}; ack ${fmt(sample.ack)}, ${sample.polls} polls)  by hand ${fmt(sample.hand.total, 0)} ms (${HAND.map((s) => `${s} ${fmt(sample.hand[s], 0)}`).join(", ")})  ratio ${fmt(sample.total / sample.hand.total, 2)}  [commit+push ${fmt(commitPush, 0)} ms]`,
      );
    }

    const m = (f: (s: Sample) => number) => median(samples.map(f));
    const berthStages = Object.fromEntries(STAGES.map((s) => [s, m((x) => x[s])]));
    const handStages = Object.fromEntries(HAND.map((s) => [s, m((x) => x.hand[s])]));
    const result = {
      runs: RUNS,
      files: 6,
      berthMs: m((s) => s.total),
      handMs: m((s) => s.hand.total),
      medianOfRatios: m((s) => s.total / s.hand.total),
      ratioOfMedians: m((s) => s.total) / m((s) => s.hand.total),
      ackMs: m((s) => s.ack),
      commitPushMs: m((s) => s.commitPush),
      polls: m((s) => s.polls),
      berthStages,
      handStages,
      // like for like: Berth's clone / build / artifact / deploy (accept..activate) vs by hand's
      pairs: {
        clone: [berthStages.clone, handStages.clone],
        build: [berthStages.build, handStages.build],
        artifact: [berthStages.artifact, handStages.zip],
        deploy: [m((s) => s.accept + s.extract + s.activate), handStages.unzip],
      },
    };
    console.log(`\n${RUNS} pushes of a 6-file repository, medians (ms)`);
    console.log(
      `berth webhook sent -> served ${fmt(result.berthMs, 0)}; by hand ${fmt(result.handMs, 0)}; ratio ${fmt(result.medianOfRatios, 2)} (median of per-run ratios), ${fmt(result.ratioOfMedians, 2)} (of medians)`,
    );
    console.log(
      `berth stages: ${STAGES.map((s) => `${s} ${fmt(berthStages[s] ?? 0, 0)}`).join("; ")}`,
    );
    console.log(`by hand:      ${HAND.map((s) => `${s} ${fmt(handStages[s] ?? 0)}`).join("; ")}`);
    console.log(
      `webhook answered (202) in ${fmt(result.ackMs)}; commit + push ${fmt(result.commitPushMs, 0)} (not in either total); ${result.polls} site polls`,
    );
    emitResult("push-to-live", result);
  } finally {
    await server?.stop();
    removeDir(work);
  }
}

await main();
