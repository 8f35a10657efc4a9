import { randomBytes } from "node:crypto";
import {
  createSandbox,
  DEFAULT_LIMITS,
  INSIDE_DIR,
  type Sandbox,
} from "../../adapters/sandbox/index.ts";
import type { Config, EdgeConfig, Limits } from "../../config.ts";
import { createAuditRepo } from "../../db/auth/audit-repo.ts";
import { createUsersRepo } from "../../db/auth/users-repo.ts";
import { createBuildsRepo } from "../../db/builds/builds-repo.ts";
import type { Db } from "../../db/client.ts";
import { openDb } from "../../db/client.ts";
import { createContainersRepo } from "../../db/containers/containers-repo.ts";
import { createSettingsRepo } from "../../db/core/settings-repo.ts";
import { createTasksRepo } from "../../db/core/tasks-repo.ts";
import { createDomainsRepo } from "../../db/edge/domains-repo.ts";
import { createDeploymentsRepo } from "../../db/releases/deployments-repo.ts";
import { createEnvironmentsRepo } from "../../db/releases/environments-repo.ts";
import { createServicesRepo } from "../../db/releases/services-repo.ts";
import type { HealthProbe } from "../../domain/releases/health-probe.ts";
import type { Logger } from "../../log.ts";
import { createJobsContext, type JobsContext } from "../jobs/context.ts";
import { jobSandbox } from "../jobs/sandbox-bridge.ts";
import { createMonitoring, type Monitoring } from "../monitoring/index.ts";
import type { Clock } from "../monitoring/scheduler.ts";
import { createNotify, type Notify } from "../notify/index.ts";
import { createEnvQueue, type EnvQueue } from "../releases/env-queue.ts";
import { createEvents, type Events } from "./events.ts";
import { createLayout, type Layout } from "./layout.ts";
import { createBus, createLogBus, type LogBus } from "./log-bus.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
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
    containers: ReturnType<typeof createContainersRepo>;
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
  /** Where build commands (and job scripts) run: bubblewrap, unless BERTH_SANDBOX=off. */
  sandbox: Sandbox;
  /** Script templates, jobs and their runs. */
  jobs: JobsContext;
  /** What happened, for notifications, metrics and monitors. */
  events: Events;
  monitoring: Monitoring;
  notify: Notify;
  metrics: Metrics;
};

export type Repos = Deps["repos"];

/**
 * The part of Deps a capability names: some shared fields and some repos. Each
 * capability's deps.ts says what it touches, so a signature tells a reader (and a test)
 * which repos and adapters a use case needs.
 */
export type Needs<K extends Exclude<keyof Deps, "repos">, R extends keyof Repos = never> = Pick<
  Deps,
  K
> & { repos: Pick<Repos, R> };

export type BuildEvent = { type: "line"; id: number } | { type: "end"; status: string };

/** Embedded serving, no DNS target: what a bare development set-up has. */
export const embeddedEdge: EdgeConfig = {
  mode: "embedded",
  nginx: {
    command: ["/usr/sbin/nginx"],
    sitesAvailable: "/etc/nginx/sites-available",
    sitesEnabled: "/etc/nginx/sites-enabled",
    reload: ["/usr/sbin/nginx", "-s", "reload"],
    listenAll: ["80"],
    listenTlsAll: ["443"],
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
  sandbox?: Sandbox;
  publicUrl?: string;
  autoMonitors?: boolean;
  clock?: Clock;
  notifyAllowPrivate?: boolean;
  smtpCa?: string;
  metricsToken?: string | null;
}): Deps {
  const sandbox = input.sandbox ?? createSandbox({ mode: "on", limits: DEFAULT_LIMITS });
  const jobs = createJobsContext(input.db, input.layout.dataDir, input.layout.workDir);
  // job scripts run in the same sandbox as build commands
  jobs.sandbox = jobSandbox(sandbox, INSIDE_DIR);
  const events = createEvents((err, name) =>
    input.logger.error({ err, event: name }, "event listener failed"),
  );
  // without a configured key (tests, tools), secrets live only as long as the process
  const secrets = input.secrets ?? createSecrets(randomBytes(32));
  const tasks = createTasksRepo(input.db);
  const deps: Omit<Deps, "metrics"> = {
    ...input,
    secrets,
    edge: input.edge ?? embeddedEdge,
    baseDomain: input.baseDomain ?? "localhost",
    sandbox,
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
      containers: createContainersRepo(input.db),
    },
    logBus: createLogBus(),
    buildBus: createBus<BuildEvent>(),
    workers: { poke: () => undefined, abort: () => false },
    probe: async () => {
      throw new Error("no server is running to check");
    },
    queue: createEnvQueue(),
    jobs,
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
  const layout = createLayout(config.dataDir, config.workDir);
  return createDeps({
    db: openDb(layout.dbFile),
    layout,
    limits: config.limits,
    defaultRetention: config.defaultRetention,
    logger,
    secrets: createSecrets(loadSecretKey(config.dataDir, config.secretKey)),
    edge: config.edge,
    baseDomain: config.baseDomain,
    sandbox: createSandbox(config.sandbox),
    publicUrl: config.publicUrl,
    autoMonitors: config.autoMonitors,
    notifyAllowPrivate: config.notifyAllowPrivate,
    metricsToken: config.metricsToken,
  });
}
