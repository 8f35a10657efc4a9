import { serve } from "@hono/node-server";
import { ConfigError, loadConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { createUrls } from "./http/present.ts";
import { createLogger } from "./log.ts";
import { startWorkers } from "./queue/workers.ts";
import { createSetup } from "./services/auth/setup.ts";
import { recoverBuilds } from "./services/builds/recover.ts";
import { runBuild } from "./services/builds/run.ts";
import { startCertificateScheduler } from "./services/certificate-scheduler.ts";
import { openDeps } from "./services/deps.ts";
import { syncEdge } from "./services/edge.ts";
import { httpProbe, probeAddress } from "./services/health.ts";
import { deliverTask } from "./services/notify/deliver.ts";
import { recoverInterrupted } from "./services/recovery.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const deps = openDeps(config, logger);
  const db = deps.db;
  const interrupted = await recoverInterrupted(deps);
  if (interrupted > 0)
    logger.warn({ interrupted }, "marked deployments cut off by a stop as interrupted");
  const cutBuilds = await recoverBuilds(deps);
  if (cutBuilds > 0)
    logger.warn({ builds: cutBuilds }, "marked builds cut off by a stop as interrupted");
  const requeued = deps.notify.recover();
  if (requeued > 0)
    logger.warn({ deliveries: requeued }, "queued notifications cut off by a stop again");
  const workers = startWorkers({
    tasks: deps.repos.tasks,
    kinds: ["build"],
    handlers: {
      build: (task, signal) => runBuild(deps, task.subjectId, signal, { baseEnv: config.childEnv }),
    },
    concurrency: config.builders,
    logger,
  });
  deps.workers = workers;
  // notifications (issue 14): their own small pool, so a slow endpoint never holds up a build
  const notifyWorkers = startWorkers({
    tasks: deps.repos.tasks,
    handlers: { notify: (task) => deliverTask(deps.notify, task) },
    kinds: ["notify"],
    concurrency: 4,
    logger,
  });
  deps.notify.setPoke(() => notifyWorkers.poke());
  // nginx mode: vhosts follow the database (a new template, environments made meanwhile)
  await syncEdge(deps).catch((err) => logger.error({ err }, "nginx vhosts could not be synced"));
  const setup = createSetup(deps);
  const setupToken = setup.issue();
  const app = createApp({
    setup,
    deps,
    urls: createUrls(config.publicUrl, config.baseDomain),
    baseDomain: config.baseDomain,
    publicUrl: config.publicUrl,
    trustedProxies: config.trustedProxies,
  });
  // nginx mode only (a no-op otherwise): new domains, renewals, retries after backoff
  const stopCertificates = startCertificateScheduler(deps, { intervalMs: 60_000 });
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    deps.probe = httpProbe(probeAddress(config.edge, config.host, info.port), config.baseDomain);
    // monitors (issue 14): automatic ones reach the sites where the health checks do
    deps.monitoring.setSite(probeAddress(config.edge, config.host, info.port));
    deps.monitoring.start();
    logger.info(
      { host: info.address, port: info.port, dataDir: config.dataDir },
      `Berth is listening on http://${config.host}:${info.port} (sites at *.${config.baseDomain})`,
    );
    if (setupToken) {
      logger.warn(
        { setupUrl: `${config.publicUrl}/setup?token=${setupToken}` },
        `No accounts yet: create the first owner at ${config.publicUrl}/setup?token=${setupToken}`,
      );
    }
  });
  const stop = async (signal: string) => {
    logger.info({ signal }, "stopping");
    server.close();
    // running builds are cancelled (their process groups stopped) before the database closes
    await workers.stop();
    await notifyWorkers.stop();
    void Promise.all([deps.queue.idle(), stopCertificates(), deps.monitoring.stop()]).then(() => {
      db.$client.close();
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

await main();
