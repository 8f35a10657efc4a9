import { randomBytes, timingSafeEqual } from "node:crypto";
import { writeTx } from "../../db/client.ts";
import type { Deps } from "../core/deps.ts";
import { getEnvironment } from "../releases/catalog.ts";
import { getMonitor } from "./monitors.ts";
import { uptimes } from "./stats.ts";

export type EnvMonitoringView = { autoMonitor: boolean; badgesPublic: boolean; badgeToken: string };

/** An environment's monitoring settings; its badge token is made on first read. */
export function envMonitoring(deps: Deps, service: string, env: string): EnvMonitoringView {
  const { environment } = getEnvironment(deps, service, env);
  const repo = deps.monitoring.repos.monitors;
  const s = repo.envSettings(environment.id);
  let token = s.badgeToken ? deps.secrets.decrypt(s.badgeToken) : null;
  if (!token) {
    token = randomBytes(18).toString("base64url");
    const sealed = deps.secrets.encrypt(token);
    writeTx(deps.db, (tx) =>
      repo.saveEnvSettings(tx, environment.id, { ...s, badgeToken: sealed }),
    );
  }
  return { autoMonitor: s.autoMonitor, badgesPublic: s.badgesPublic, badgeToken: token };
}

export function setEnvMonitoring(
  deps: Deps,
  service: string,
  env: string,
  patch: { autoMonitor?: boolean; badgesPublic?: boolean },
): EnvMonitoringView {
  const current = envMonitoring(deps, service, env);
  const { environment } = getEnvironment(deps, service, env);
  const repo = deps.monitoring.repos.monitors;
  const s = repo.envSettings(environment.id);
  writeTx(deps.db, (tx) =>
    repo.saveEnvSettings(tx, environment.id, {
      autoMonitor: patch.autoMonitor ?? s.autoMonitor,
      badgesPublic: patch.badgesPublic ?? s.badgesPublic,
      badgeToken: s.badgeToken,
    }),
  );
  if (patch.autoMonitor !== undefined) deps.monitoring.reconcileAuto();
  return { ...current, ...patch };
}

const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Whether a badge of this environment may be shown: public, or the right token. */
export function badgeOpen(deps: Deps, environmentId: number, token: string | undefined): boolean {
  const s = deps.monitoring.repos.monitors.envSettings(environmentId);
  if (s.badgesPublic) return true;
  if (!token || !s.badgeToken) return false;
  try {
    return same(deps.secrets.decrypt(s.badgeToken), token);
  } catch {
    return false;
  }
}

/** live, failed, deploying or none: what the environment's status badge says. */
export function envStatus(deps: Deps, service: string, env: string) {
  const { environment } = getEnvironment(deps, service, env);
  const [newest] = deps.repos.deployments.listForEnvironment(environment.id, 1);
  let status = "none";
  if (newest && ["queued", "preparing", "activating"].includes(newest.status)) status = "deploying";
  else if (newest?.status === "failed") status = "failed";
  else if (environment.liveDeploymentId) status = "live";
  return { environmentId: environment.id, status };
}

export function monitorUptime(deps: Deps, id: number) {
  const m = getMonitor(deps, id);
  const u = uptimes(deps.monitoring.repos, deps.monitoring.clock.now(), [id]).get(id);
  return { monitor: m, uptime24h: u?.h24 ?? null };
}
