import { journal } from "../core/journal.ts";
import type { ReleasesDeps } from "./deps.ts";
import { removeTree } from "./release-files.ts";

/**
 * Called once `current` points at a new release, before it is recorded live: keeps it and
 * the newest earlier releases up to `retention` on disk and removes the rest. Their
 * bundles stay, so they can be redeployed.
 */
export async function pruneReleases(
  deps: ReleasesDeps,
  at: { service: string; env: string; environmentId: number; deploymentId: string },
): Promise<void> {
  const environment = deps.repos.environments.byId(at.environmentId);
  if (!environment) return;
  const onDisk = deps.repos.deployments.onDisk(at.environmentId);
  const newest = [at.deploymentId, ...onDisk.map((d) => d.id)].slice(0, environment.retention);
  const keep = new Set(newest);
  // the release being replaced stays whatever its age: it is the rollback target
  if (environment.liveDeploymentId) keep.add(environment.liveDeploymentId);
  const doomed = onDisk.filter((d) => !keep.has(d.id));
  if (doomed.length === 0) return;
  try {
    journal(deps, at.deploymentId, (tx, note) => {
      for (const d of doomed) deps.repos.deployments.update(tx, d.id, { pruned: true });
      note(
        "prune",
        `Pruning ${doomed.length} old release${doomed.length === 1 ? "" : "s"} beyond retention ${environment.retention}: ${doomed.map((d) => d.id).join(", ")}.`,
      );
    });
    for (const d of doomed) await removeTree(deps.layout.release(at.service, at.env, d.id));
  } catch (err) {
    deps.logger.warn({ err, environmentId: at.environmentId }, "pruning failed");
    journal(deps, at.deploymentId, (_tx, note) =>
      note("prune", `Pruning failed: ${(err as Error).message}`, "warn"),
    );
  }
}
