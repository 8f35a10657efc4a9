/**
 * The edge at scale: with 1,000 environments configured (250 services x 4), adding a
 * custom domain through the API (render, write, nginx -t, reload, verify) must take
 * under 1 s; deploying one environment must rewrite no vhost at all (mtimes and bytes
 * of every file in sites-available and sites-enabled unchanged, no nginx reload).
 *
 * Usage: node scripts/bench/edge-scale.ts   (BENCH_SERVICES=250, BENCH_ENVS=4, BENCH_ADDS=10)
 */
import fs from "node:fs";
import path from "node:path";
import { openDb, writeTx } from "../../src/db/client.ts";
import { createLogger } from "../../src/log.ts";
import { createDeps } from "../../src/services/core/deps.ts";
import { createLayout } from "../../src/services/core/layout.ts";
import { syncEdge } from "../../src/services/edge/edge.ts";
import type { RunningServer } from "../../test/helpers/server.ts";
import {
  edgeFiles,
  type PrivateNginx,
  startBerthWithNginx,
  startNginx,
  timeNginxTest,
} from "./edge-lib.ts";
import {
  api,
  emitResult,
  fmt,
  makeZip,
  median,
  percentile,
  removeDir,
  tempDir,
  upload,
  waitLive,
} from "./lib.ts";

const SERVICES = Math.max(1, Number(process.env.BENCH_SERVICES ?? 250));
const ENVS = Math.max(1, Number(process.env.BENCH_ENVS ?? 4));
const ADDS = Math.max(1, Number(process.env.BENCH_ADDS ?? 10));
const ENV_NAMES = ["production", "staging", "preview", "dev", "qa", "demo", "canary", "test"];

const service = (i: number) => `svc-${String(i).padStart(4, "0")}`;

/** Writes the services and environments straight into the database, then one sync. */
async function seed(
  dataDir: string,
  ngx: PrivateNginx,
): Promise<{ syncMs: number; files: number }> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  fs.chmodSync(path.dirname(dataDir), 0o755);
  const layout = createLayout(dataDir);
  const db = openDb(layout.dbFile);
  try {
    const deps = createDeps({
      db,
      layout,
      limits: { maxBundleBytes: 1, maxEntries: 1, maxUncompressedBytes: 1, maxCompressionRatio: 1 },
      defaultRetention: 10,
      logger: createLogger("silent"),
      edge: ngx.edgeConfig(),
    });
    writeTx(db, (tx) => {
      for (let i = 0; i < SERVICES; i++) {
        deps.repos.services.insert(tx, {
          name: service(i),
          kind: "static",
          environments: ENV_NAMES.slice(0, ENVS),
          retention: 10,
        });
      }
    });
    const started = performance.now();
    const files = await ngx.settled(() => syncEdge(deps));
    return { syncMs: performance.now() - started, files };
  } finally {
    db.$client.close();
  }
}

async function main(): Promise<void> {
  const work = tempDir("edge-scale");
  const ngx = await startNginx();
  let server: RunningServer | undefined;
  try {
    const dataDir = path.join(work, "data");
    const seeded = await seed(dataDir, ngx);
    const environments = SERVICES * ENVS;
    console.log(
      `seeded ${environments} environments in ${SERVICES} services: one sync wrote ${seeded.files} files in ${fmt(seeded.syncMs, 0)} ms (one nginx -t, one reload)`,
    );
    server = await startBerthWithNginx(dataDir, ngx);
    const testMs = median([0, 1, 2, 3, 4].map(() => timeNginxTest(ngx)));
    console.log(`nginx -t over ${ngx.sitesEnabled} alone: ${fmt(testMs, 0)} ms (median of 5)`);

    const addMs: number[] = [];
    for (let i = 0; i < ADDS; i++) {
      const svc = service(Math.floor((i * SERVICES) / ADDS));
      const env = ENV_NAMES[i % ENVS] as string;
      const hostname = `shop${i}.example.test`;
      const started = performance.now();
      const res = await api(server.url, `/services/${svc}/environments/${env}/domains`, "POST", {
        hostname,
        wwwRedirect: i % 2 === 0,
      });
      const ms = performance.now() - started;
      if (res.status !== 201)
        throw new Error(`adding ${hostname}: ${res.status} ${JSON.stringify(res.json)}`);
      const served = await ngx.request(hostname, "/");
      if (!served.headers["x-berth-generation"])
        throw new Error(`${hostname} is not served by its vhost after the add`);
      addMs.push(ms);
      console.log(`add ${hostname} to ${env}--${svc}: ${fmt(ms, 0)} ms`);
    }

    // one deploy: no vhost rewritten, no reload
    const svc = service(Math.floor(SERVICES / 2));
    await ngx.idle();
    const before = edgeFiles(ngx);
    const workers = ngx.workerPids().join(",");
    const zip = makeZip([["index.html", Buffer.from("<p>deployed at scale</p>\n")]]);
    const deployed = await upload(server.port, svc, zip);
    await waitLive(server.url, deployed.id);
    const page = await ngx.request(`production--${svc}.localhost`, "/");
    if (page.body !== "<p>deployed at scale</p>\n")
      throw new Error(`deploy not served: ${page.status}`);
    const after = edgeFiles(ngx);
    const rewritten = [...after].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
    const gone = [...before.keys()].filter((p) => !after.has(p));
    const reloaded = ngx.workerPids().join(",") !== workers;
    console.log(
      `deploy to production--${svc}: ${rewritten.length + gone.length} of ${before.size} vhost files or links changed; nginx reloaded: ${reloaded}`,
    );

    const result = {
      environments,
      services: SERVICES,
      vhostFiles: before.size / 2,
      seedSyncMs: seeded.syncMs,
      nginxTestMs: testMs,
      addDomainMedianMs: median(addMs),
      addDomainMaxMs: Math.max(...addMs),
      addDomainP90Ms: percentile(addMs, 90),
      filesChangedByDeploy: rewritten.length + gone.length,
      reloadedByDeploy: reloaded,
      met: Math.max(...addMs) < 1000 && rewritten.length + gone.length === 0 && !reloaded,
    };
    console.log(
      `\n${environments} environments: add a domain median ${fmt(result.addDomainMedianMs, 0)} ms, max ${fmt(result.addDomainMaxMs, 0)} ms (target < 1000 ms); a deploy changed ${result.filesChangedByDeploy} files, reload ${reloaded ? "yes" : "no"}: ${result.met ? "MET" : "MISSED"}`,
    );
    emitResult("edge-scale", result);
    if (!result.met) process.exitCode = 1;
  } finally {
    await server?.stop();
    await ngx.stop();
    removeDir(work);
  }
}

await main();
