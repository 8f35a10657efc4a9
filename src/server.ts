import { serve } from "@hono/node-server";
import { ConfigError, loadConfig } from "./config.ts";
import { startCheckpointer } from "./db/checkpointer.ts";
import { createApp } from "./http/app.ts";
import { createUrls } from "./http/present.ts";
import { createLogger } from "./log.ts";
import { prettyDestination } from "./log-pretty.ts";
import { startWorkers } from "./queue/workers.ts";
import { pruneAudit } from "./services/auth/audit.ts";
import { createSetup } from "./services/auth/setup.ts";
import { recoverBuilds } from "./services/builds/recover.ts";
import { runBuild } from "./services/builds/run.ts";
import { resumeRollouts } from "./services/containers/rollout.ts";
import { openDeps } from "./services/core/deps.ts";
import { createDashboard, startDashboard } from "./services/dashboard/index.ts";
import { startCertificateScheduler } from "./services/edge/certificate-scheduler.ts";
import { syncEdge } from "./services/edge/edge.ts";
import { executeRun } from "./services/jobs/execute.ts";
import { recoverJobs } from "./services/jobs/recover.ts";
import { startScheduler } from "./services/jobs/scheduler.ts";
import { deliverTask } from "./services/notify/deliver.ts";
import { httpProbe, probeAddress } from "./services/releases/health.ts";
import { recoverInterrupted } from "./services/releases/recovery.ts";
import { createReports, startReportRetention } from "./services/reports/core.ts";

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
  // readable lines on a terminal, JSON for everything else (journald, files, collectors)
  const logger = createLogger(
    config.logLevel,
    process.stdout.isTTY ? prettyDestination(process.stdout) : undefined,
  );
  const deps = openDeps(config, logger);
  const db = deps.db;
  // WAL checkpoints in a worker thread, not inside a request's commit (error ingest writes a lot)
  const stopCheckpoints = startCheckpointer(db, deps.layout.dbFile, {
    onError: (message) => logger.error({ message }, "WAL checkpoint failed"),
  });
  const interrupted = await recoverInterrupted(deps);
  if (interrupted > 0)
    logger.warn({ interrupted }, "marked deployments cut off by a stop as interrupted");
  const resumed = resumeRollouts(deps);
  if (resumed.length > 0) logger.info({ resumed }, "following container rollouts again");
  const cutBuilds = await recoverBuilds(deps);
  if (cutBuilds > 0)
    logger.warn({ builds: cutBuilds }, "marked builds cut off by a stop as interrupted");
  const requeued = deps.notify.recover();
  if (requeued > 0)
    logger.warn({ deliveries: requeued }, "queued notifications cut off by a stop again");
  const workers = startWorkers({
    tasks: deps.repos.tasks,
    handlers: {
      build: (task, signal) => runBuild(deps, task.subjectId, signal, { baseEnv: config.childEnv }),
    },
    concurrency: config.builders,
    logger,
  });
  deps.workers = workers;
  // notifications: their own small pool, so a slow endpoint never holds up a build
  const notifyWorkers = startWorkers({
    tasks: deps.repos.tasks,
    handlers: { notify: (task) => deliverTask(deps.notify, task) },
    concurrency: 4,
    logger,
  });
  deps.notify.setPoke(() => notifyWorkers.poke());
  // jobs: their own workers on the same durable queue, in the sandbox, and the scheduler
  deps.jobs.baseEnv = {
    ...deps.jobs.baseEnv,
    PATH: config.childEnv.PATH ?? deps.jobs.baseEnv.PATH ?? "",
  };
  const cutRuns = recoverJobs(deps);
  if (cutRuns > 0)
    logger.warn({ runs: cutRuns }, "marked job runs cut off by a stop as interrupted");
  const jobWorkers = startWorkers({
    tasks: deps.repos.tasks,
    handlers: { job: (task, signal) => executeRun(deps, task, signal) },
    concurrency: config.jobRunners,
    logger,
  });
  deps.jobs.workers = jobWorkers;
  const scheduler = startScheduler(deps);
  // nginx mode: vhosts follow the database (a new template, environments made meanwhile)
  await syncEdge(deps).catch((err) => logger.error({ err }, "nginx vhosts could not be synced"));
  const setup = createSetup(deps);
  const setupToken = setup.issue();
  // error reports
  const reports = createReports(deps, config.reports);
  const stopReportRetention = startReportRetention(reports);
  const dashboard = createDashboard(deps, reports);
  const stopDashboard = startDashboard(dashboard);
  const app = createApp({
    reports,
    dashboard,
    setup,
    deps,
    urls: createUrls(config.publicUrl, config.baseDomain),
    baseDomain: config.baseDomain,
    publicUrl: config.publicUrl,
    trustedProxies: config.trustedProxies,
  });
  // the audit trail keeps events for the configured days: pruned at start and daily
  const prune = () => pruneAudit(deps, config.auditRetentionDays);
  prune();
  const pruneTimer = setInterval(prune, 24 * 60 * 60 * 1000);
  pruneTimer.unref();
  // nginx mode only (a no-op otherwise): new domains, renewals, retries after backoff
  const stopCertificates = startCertificateScheduler(deps, { intervalMs: 60_000 });
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    deps.probe = httpProbe(probeAddress(config.edge, config.host, info.port), config.baseDomain);
    // automatic monitors reach the sites where the health checks do
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
    stopReportRetention();
    stopDashboard();
    // running builds are cancelled (their process groups stopped) before the database closes
    scheduler.stop();
    await Promise.all([workers.stop(), jobWorkers.stop(), notifyWorkers.stop()]);
    void Promise.all([
      deps.queue.idle(),
      stopCertificates(),
      stopCheckpoints(),
      deps.monitoring.stop(),
    ]).then(() => {
      db.$client.close();
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

await main();
