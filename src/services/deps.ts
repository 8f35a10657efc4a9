import { randomBytes } from "node:crypto";
import type { Config, EdgeConfig, Limits } from "../config.ts";
import { createAuditRepo } from "../db/audit-repo.ts";
import { createBuildsRepo } from "../db/builds-repo.ts";
import type { Db } from "../db/client.ts";
import { openDb } from "../db/client.ts";
import { createDeploymentsRepo } from "../db/deployments-repo.ts";
import { createDomainsRepo } from "../db/domains-repo.ts";
import { createEnvironmentsRepo } from "../db/environments-repo.ts";
import { createServicesRepo } from "../db/services-repo.ts";
import { createSettingsRepo } from "../db/settings-repo.ts";
import { createTasksRepo } from "../db/tasks-repo.ts";
import { createUsersRepo } from "../db/users-repo.ts";
import type { Logger } from "../log.ts";
import { createEvents, type Events } from "./core/events.ts";
import { createMetrics, type Metrics } from "./core/metrics.ts";
import { createEnvQueue, type EnvQueue } from "./env-queue.ts";
import type { HealthProbe } from "./health.ts";
import { createLayout, type Layout } from "./layout.ts";
import { createBus, createLogBus, type LogBus } from "./log-bus.ts";
import { createMonitoring, type Monitoring } from "./monitoring/index.ts";
import type { Clock } from "./monitoring/scheduler.ts";
import { createNotify, type Notify } from "./notify/index.ts";
import { createSecrets, loadSecretKey, type Secrets } from "./secrets.ts";

/** What the use cases need, built once in main.ts (or a test) and passed in. */
export type Deps = {
  db: Db;
  repos: {
    services: ReturnType<typeof createServicesRepo>;
    environments: ReturnType<typeof createEnvironmentsRepo>;
    deployments: ReturnType<typeof createDeploymentsRepo>;
    users: ReturnType<typeof createUsersRepo>;
    audit: ReturnType<typeof createAuditRepo>;
    builds: ReturnType<typeof createBuildsRepo>;
    tasks: ReturnType<typeof createTasksRepo>;
    settings: ReturnType<typeof createSettingsRepo>;
    domains: ReturnType<typeof createDomainsRepo>;
  };
  layout: Layout;
  limits: Limits;
  defaultRetention: number;
  logBus: LogBus;
  /** Build log events for live viewers, keyed by build id. */
  buildBus: ReturnType<typeof createBus<BuildEvent>>;
  /** The worker pool, once started (main.ts); until then tasks wait in the queue. */
  workers: { poke(): void; abort(kind: "build", subjectId: string): boolean };
  /** How health checks reach a site; main.ts points it at the running server. */
  probe: HealthProbe;
  queue: EnvQueue;
  logger: Logger;
  secrets: Secrets;
  edge: EdgeConfig;
  /** Sites are <label>.<baseDomain>; custom domains must not collide with them. */
  baseDomain: string;
  /** What happened, for notifications, metrics and monitors (issue 14). */
  events: Events;
  monitoring: Monitoring;
  notify: Notify;
  metrics: Metrics;
};

export type BuildEvent = { type: "line"; id: number } | { type: "end"; status: string };

/** Embedded serving, no DNS target: what a bare development set-up has. */
export const embeddedEdge: EdgeConfig = {
  mode: "embedded",
  nginx: {
    command: ["/usr/sbin/nginx"],
    sitesAvailable: "/etc/nginx/sites-available",
    sitesEnabled: "/etc/nginx/sites-enabled",
    reload: ["/usr/sbin/nginx", "-s", "reload"],
    listen: "80",
    listenTls: "443",
  },
  publicIpv4: null,
  publicIpv6: null,
  cnameTarget: null,
  acme: {
    directoryUrl: "https://acme-v02.api.letsencrypt.org/directory",
    email: null,
    caFile: null,
  },
};

export function createDeps(input: {
  db: Db;
  layout: Layout;
  limits: Limits;
  defaultRetention: number;
  logger: Logger;
  secrets?: Secrets;
  edge?: EdgeConfig;
  baseDomain?: string;
  publicUrl?: string;
  autoMonitors?: boolean;
  clock?: Clock;
  notifyAllowPrivate?: boolean;
  smtpCa?: string;
  metricsToken?: string | null;
}): Deps {
  const events = createEvents((err, name) =>
    input.logger.error({ err, event: name }, "event listener failed"),
  );
  const secrets = input.secrets ?? createSecrets(randomBytes(32));
  const tasks = createTasksRepo(input.db);
  const deps: Omit<Deps, "metrics"> = {
    ...input,
    // without a configured key (tests, tools), secrets live only as long as the process
    secrets,
    edge: input.edge ?? embeddedEdge,
    baseDomain: input.baseDomain ?? "localhost",
    repos: {
      services: createServicesRepo(input.db),
      environments: createEnvironmentsRepo(input.db),
      deployments: createDeploymentsRepo(input.db),
      users: createUsersRepo(input.db),
      audit: createAuditRepo(input.db),
      builds: createBuildsRepo(input.db),
      tasks,
      settings: createSettingsRepo(input.db),
      domains: createDomainsRepo(input.db),
    },
    logBus: createLogBus(),
    buildBus: createBus<BuildEvent>(),
    workers: { poke: () => undefined, abort: () => false },
    probe: async () => {
      throw new Error("no server is running to check");
    },
    queue: createEnvQueue(),
    // monitoring and notifications (issue 14)
    events,
    monitoring: createMonitoring({
      db: input.db,
      logger: input.logger,
      events,
      baseDomain: input.baseDomain ?? "localhost",
      publicUrl: input.publicUrl,
      autoMonitors: input.autoMonitors,
      clock: input.clock,
    }),
    notify: createNotify({
      db: input.db,
      events,
      secrets,
      tasks,
      logger: input.logger,
      allowPrivate: input.notifyAllowPrivate,
      smtpCa: input.smtpCa,
    }),
  };
  const metrics = createMetrics({
    events,
    queueDepth: () => tasks.depth(),
    liveReleases: () => deps.repos.environments.listAll().filter((e) => e.liveDeploymentId).length,
    monitors: () => deps.monitoring.scheduler.states(),
    onNotification: (fn) => deps.notify.onOutcome(fn),
    token: input.metricsToken,
  });
  return { ...deps, metrics };
}

/** Opens the data directory a configuration names: database (migrated), layout, keys. */
export function openDeps(config: Config, logger: Logger): Deps {
  const layout = createLayout(config.dataDir);
  return createDeps({
    db: openDb(layout.dbFile),
    layout,
    limits: config.limits,
    defaultRetention: config.defaultRetention,
    logger,
    secrets: createSecrets(loadSecretKey(config.dataDir, config.secretKey)),
    edge: config.edge,
    baseDomain: config.baseDomain,
    publicUrl: config.publicUrl,
    autoMonitors: config.autoMonitors,
    notifyAllowPrivate: config.notifyAllowPrivate,
    metricsToken: config.metricsToken,
  });
}
