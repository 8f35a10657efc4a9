import { notFound } from "../../domain/errors.ts";
import { isRollbackCandidate } from "../../domain/releases/deployment.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import {
  type ErrorGroup,
  type GroupFilter,
  type GroupStatus,
  type ReportEvent,
  releaseRefs,
} from "../../domain/reports/reports.ts";
import { newPublicKey, type ReportsCore } from "./core.ts";

function serviceOrThrow(r: ReportsCore, name: string) {
  const s = r.deps.repos.services.byName(name);
  if (!s) throw notFound("service_not_found", `There is no service named ${name}.`);
  return s;
}

/** The service's DSN parts; the key is made on first use. */
export function reportingKey(r: ReportsCore, service: string): { projectId: number; key: string } {
  const s = serviceOrThrow(r, service);
  let key = r.keys.keyOf(s.id);
  if (!key) {
    key = newPublicKey();
    r.keys.put(s.id, key);
  }
  return { projectId: s.id, key };
}

/** A new key: the old DSN stops working at once. */
export function rotateReportingKey(
  r: ReportsCore,
  service: string,
): { projectId: number; key: string } {
  const s = serviceOrThrow(r, service);
  const key = newPublicKey();
  r.keys.put(s.id, key);
  return { projectId: s.id, key };
}

export function listGroups(r: ReportsCore, service: string, f: GroupFilter, limit = 100) {
  const s = serviceOrThrow(r, service);
  return r.groups.list(s.id, f, limit);
}

/** A group with the name of its service (for permission checks), or 404. */
export function getGroup(r: ReportsCore, id: number): { group: ErrorGroup; service: string } {
  const group = Number.isSafeInteger(id) ? r.groups.byId(id) : undefined;
  const service = group && r.deps.repos.services.byId(group.serviceId);
  if (!group || !service) throw notFound("error_group_not_found", `There is no error group ${id}.`);
  return { group, service: service.name };
}

export function groupEvents(r: ReportsCore, groupId: number, limit = 20) {
  return r.groups.events(groupId, limit).map((row) => ({
    id: row.eventId,
    receivedAt: row.receivedAt,
    event: JSON.parse(row.data) as ReportEvent,
  }));
}

export function setGroupStatus(r: ReportsCore, id: number, status: GroupStatus): ErrorGroup {
  getGroup(r, id);
  r.groups.setStatus(id, status, r.clock());
  return getGroup(r, id).group;
}

export type ReleaseMatch = { deployment: Deployment; environment: string; who: string | null };

/**
 * The deployment a release string names: by Berth deployment id, else the oldest
 * deployment of the service with that commit (the one that introduced it).
 */
export function matchRelease(
  r: ReportsCore,
  serviceId: number,
  release: string | null,
): ReleaseMatch | null {
  if (!release) return null;
  const { deployments, environments, builds } = r.deps.repos;
  const envs = environments.listForService(serviceId);
  const refs = releaseRefs(release);
  const envName = (id: number) => envs.find((e) => e.id === id)?.name ?? "?";
  const whoOf = (d: Deployment) => {
    const artifact = d.artifactId ? builds.artifact(d.artifactId) : undefined;
    const build = artifact?.buildId ? builds.byId(artifact.buildId) : undefined;
    return build?.triggeredBy ?? null;
  };
  if (refs.deploymentId) {
    const d = deployments.byId(refs.deploymentId);
    if (d && envs.some((e) => e.id === d.environmentId))
      return { deployment: d, environment: envName(d.environmentId), who: whoOf(d) };
  }
  if (!refs.commit) return null;
  const commit = refs.commit;
  let best: Deployment | undefined;
  for (const e of envs) {
    for (const d of deployments.listForEnvironment(e.id, 200)) {
      if (d.commit?.toLowerCase().startsWith(commit) && (!best || d.createdAt < best.createdAt))
        best = d;
    }
  }
  return best
    ? { deployment: best, environment: envName(best.environmentId), who: whoOf(best) }
    : null;
}

/** Where a rollback from a bad release goes: the newest good release before it, same environment. */
export function rollbackTarget(r: ReportsCore, bad: Deployment): Deployment | null {
  const list = r.deps.repos.deployments.listForEnvironment(bad.environmentId, 100);
  return list.find((d) => d.createdAt < bad.createdAt && isRollbackCandidate(d)) ?? null;
}

const HOUR = 3_600_000;

/** Events per hour over the last `hours` hours, oldest first, for each group. */
export function hourlyCounts(
  r: ReportsCore,
  groupIds: number[],
  hours = 24,
): Map<number, number[]> {
  const end = Math.floor(r.clock() / HOUR) * HOUR;
  const start = end - (hours - 1) * HOUR;
  const raw = r.groups.hours(groupIds, start);
  return new Map(
    groupIds.map((id) => {
      const m = raw.get(id);
      return [id, Array.from({ length: hours }, (_, i) => m?.get(start + i * HOUR) ?? 0)];
    }),
  );
}
