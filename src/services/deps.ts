import type { Limits } from "../config.ts";
import { createAuditRepo } from "../db/audit-repo.ts";
import type { Db } from "../db/client.ts";
import { createDeploymentsRepo } from "../db/deployments-repo.ts";
import { createEnvironmentsRepo } from "../db/environments-repo.ts";
import { createServicesRepo } from "../db/services-repo.ts";
import { createUsersRepo } from "../db/users-repo.ts";
import type { Logger } from "../log.ts";
import { createEnvQueue, type EnvQueue } from "./env-queue.ts";
import type { Layout } from "./layout.ts";
import { createLogBus, type LogBus } from "./log-bus.ts";

/** What the use cases need, built once in main.ts (or a test) and passed in. */
export type Deps = {
  db: Db;
  repos: {
    services: ReturnType<typeof createServicesRepo>;
    environments: ReturnType<typeof createEnvironmentsRepo>;
    deployments: ReturnType<typeof createDeploymentsRepo>;
    users: ReturnType<typeof createUsersRepo>;
    audit: ReturnType<typeof createAuditRepo>;
  };
  layout: Layout;
  limits: Limits;
  defaultRetention: number;
  logBus: LogBus;
  queue: EnvQueue;
  logger: Logger;
};

export function createDeps(input: {
  db: Db;
  layout: Layout;
  limits: Limits;
  defaultRetention: number;
  logger: Logger;
}): Deps {
  return {
    ...input,
    repos: {
      services: createServicesRepo(input.db),
      environments: createEnvironmentsRepo(input.db),
      deployments: createDeploymentsRepo(input.db),
      users: createUsersRepo(input.db),
      audit: createAuditRepo(input.db),
    },
    logBus: createLogBus(),
    queue: createEnvQueue(),
  };
}
