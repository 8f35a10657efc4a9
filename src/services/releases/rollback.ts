import { conflict, notFound } from "../../domain/errors.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import { rollbackContainer } from "../containers/deploy.ts";
import { journal } from "../core/journal.ts";
import { getEnvironment } from "./catalog.ts";
import type { ReleasesDeps } from "./deps.ts";
import { publishStatus } from "./pipeline.ts";
import { pointCurrent } from "./release-files.ts";

/**
 * Makes an earlier release live again: the previous good one, or a named one still on
 * disk. Only `current` moves, so it costs the same whatever the size of the release.
 */
export function rollback(
  deps: ReleasesDeps,
  serviceName: string,
  envName: string,
  deploymentId?: string,
): Promise<Deployment> {
  const { service, environment } = getEnvironment(deps, serviceName, envName);
  if (service.kind === "container")
    return rollbackContainer(deps, serviceName, envName, deploymentId);
  return deps.queue.run(environment.id, async () => {
    const { deployments, environments } = deps.repos;
    const env = environments.byId(environment.id);
    const liveId = env?.liveDeploymentId ?? null;
    const target = deploymentId
      ? deployments.byId(deploymentId)
      : deployments.previousGood(environment.id);
    if (!target || target.environmentId !== environment.id) {
      if (deploymentId) {
        throw notFound(
          "deployment_not_found",
          `Environment "${envName}" has no deployment ${deploymentId}.`,
        );
      }
      throw conflict(
        "nothing_to_roll_back_to",
        `Environment "${envName}" has no earlier release on disk to roll back to.`,
      );
    }
    if (target.id === liveId) {
      throw conflict("already_live", `Deployment ${target.id} is already live.`);
    }
    if (target.status !== "superseded") {
      throw conflict(
        "not_rollback_target",
        `Deployment ${target.id} is ${target.status}; only a release that was live can be rolled back to.`,
      );
    }
    if (target.pruned) {
      throw conflict(
        "release_pruned",
        `The release of ${target.id} was pruned from disk; redeploy it from its stored bundle instead.`,
      );
    }
    const note = `Rolling back from ${liveId ?? "nothing"} to ${target.id}.`;
    journal(deps, target.id, (_tx, log) => log("rollback", note));
    if (liveId) journal(deps, liveId, (_tx, log) => log("rollback", note));
    await pointCurrent(
      deps.layout.current(serviceName, envName),
      deps.layout.release(serviceName, envName, target.id),
    );
    const live = journal(deps, target.id, (tx, log) => {
      if (liveId) deployments.transition(tx, liveId, "superseded");
      const row = deployments.transition(tx, target.id, "live", { activatedAt: Date.now() });
      environments.setLive(tx, environment.id, target.id);
      environments.addEvent(tx, {
        environmentId: environment.id,
        action: "rollback",
        deploymentId: target.id,
        message: `Rolled back from ${liveId ?? "nothing"} to ${target.id}.`,
      });
      log("rollback", `Live again after a rollback from ${liveId ?? "nothing"}.`);
      return row;
    });
    if (liveId) publishStatus(deps, liveId, "superseded");
    // for notifications and monitors (services/core/events.ts)
    deps.events.emit("rollback", {
      service: serviceName,
      environment: envName,
      deploymentId: target.id,
    });
    return live;
  });
}
