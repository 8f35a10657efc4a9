import { objectName } from "../../adapters/kubernetes/manifests.ts";
import type { SnapshotRow } from "../../db/containers/containers-repo.ts";
import { journal } from "../core/journal.ts";
import { publishStatus } from "../releases/pipeline.ts";
import { manifestsFor } from "./apply.ts";
import { clusterFor } from "./cluster.ts";
import type { ContainersDeps } from "./deps.ts";
import { type FollowResult, followRollout } from "./follow.ts";
import { decryptSecretEnv } from "./spec.ts";

const following = new WeakMap<ContainersDeps, Set<string>>();

/**
 * Follows an applied deployment to live or failed. A failure re-applies the last good
 * deployment's snapshot and follows that back to healthy, in the failed one's log; the
 * failed deployment stays in flight until then, so deploys to the environment stay serial.
 */
export async function runRollout(deps: ContainersDeps, id: string): Promise<void> {
  let set = following.get(deps);
  if (!set) {
    set = new Set();
    following.set(deps, set);
  }
  if (set.has(id)) return;
  set.add(id);
  try {
    await follow(deps, id);
  } finally {
    set.delete(id);
  }
}

function context(deps: ContainersDeps, snap: SnapshotRow) {
  const env = deps.repos.environments.byId(snap.environmentId);
  const service = env ? deps.repos.services.byId(env.serviceId) : undefined;
  if (!env || !service) throw new Error(`environment ${snap.environmentId} vanished`);
  return { env, service, name: objectName(service.name, env.name) };
}

async function follow(deps: ContainersDeps, id: string): Promise<void> {
  const snap = deps.repos.containers.snapshot(id);
  if (!snap) return;
  const { env, service, name } = context(deps, snap);
  const { kube, settings } = clusterFor(deps);
  const mask = Object.values(decryptSecretEnv(deps, snap.secretEnv));
  const windowMs = settings.failWindowSeconds * 1000;
  const result = await followRollout({
    deps,
    kube,
    deploymentId: id,
    logTo: id,
    step: "rollout",
    name,
    mask,
    windowMs,
  });
  if (result.ok) {
    journal(deps, id, (tx, note) => {
      const now = Date.now();
      const previous = deps.repos.environments.byId(env.id)?.liveDeploymentId;
      if (previous && previous !== id)
        deps.repos.deployments.transition(tx, previous, "superseded");
      if (result.digest) deps.repos.containers.setDigest(tx, id, result.digest);
      deps.repos.deployments.transition(tx, id, "live", { activatedAt: now, finishedAt: now });
      deps.repos.environments.setLive(tx, env.id, id);
      deps.repos.environments.addEvent(tx, {
        environmentId: env.id,
        action: "deployment.live",
        deploymentId: id,
        message: `Deployment ${id} is live.`,
      });
      note("rollout", `Live: ${snap.spec.image}${result.digest ? ` (${result.digest})` : ""}.`);
    });
    publishStatus(deps, id, "live", true);
    return;
  }
  journal(deps, id, (_tx, note) => note("rollout", `Rollout failed: ${result.message}.`, "error"));
  const good = deps.repos.containers.lastGood(env.id, id);
  let recovered: FollowResult | null = null;
  if (!good) {
    journal(deps, id, (_tx, note) =>
      note("recover", "There is no earlier good deployment to go back to.", "warn"),
    );
  } else {
    journal(deps, id, (_tx, note) =>
      note(
        "recover",
        `Re-applying the last good deployment ${good.deploymentId} (${good.spec.image}).`,
      ),
    );
    try {
      const names = { service: service.name, environment: env.name, environmentId: env.id };
      await kube.apply(manifestsFor(deps, settings, names, good).objects);
      recovered = await followRollout({
        deps,
        kube,
        deploymentId: good.deploymentId,
        logTo: id,
        step: "recover",
        name,
        mask: [...mask, ...Object.values(decryptSecretEnv(deps, good.secretEnv))],
        windowMs,
      });
    } catch (err) {
      recovered = { ok: false, code: "apply_failed", message: (err as Error).message };
    }
  }
  journal(deps, id, (tx, note) => {
    if (good && recovered?.ok) {
      note(
        "recover",
        `Healthy again on ${good.deploymentId}: ${recovered.replicas} replica(s) ready.`,
      );
    } else if (good && recovered && !recovered.ok) {
      note("recover", `The last good deployment did not come back: ${recovered.message}.`, "error");
    }
    deps.repos.deployments.transition(tx, id, "failed", {
      failedStage: "rollout",
      errorCode: result.code,
      errorMessage: result.message,
      finishedAt: Date.now(),
    });
    deps.repos.environments.addEvent(tx, {
      environmentId: env.id,
      action: "deployment.failed",
      deploymentId: id,
      message: `Deployment ${id} failed its rollout: ${result.message}.`,
    });
  });
  publishStatus(deps, id, "failed", true);
}

/** At start-up: container deployments a stop cut off are followed again from where they are. */
export function resumeRollouts(deps: ContainersDeps): string[] {
  const cut = deps.repos.deployments.inFlight().filter((d) => d.source === "image");
  for (const d of cut) {
    if (d.status === "queued" || d.status === "preparing") {
      // never applied (or not known to be): the cluster still runs what it ran
      journal(deps, d.id, (tx, note) => {
        note("apply", "Berth stopped before this deployment was applied.", "error");
        deps.repos.deployments.transition(tx, d.id, "interrupted", {
          failedStage: "apply",
          errorCode: "interrupted",
          errorMessage: "Berth stopped before this deployment was applied.",
          finishedAt: Date.now(),
        });
      });
      continue;
    }
    journal(deps, d.id, (_tx, note) =>
      note("rollout", "Berth restarted: following the rollout again."),
    );
    void runRollout(deps, d.id).catch((err: unknown) =>
      deps.logger.error({ err, deploymentId: d.id }, "resumed rollout follow failed"),
    );
  }
  return cut.map((d) => d.id);
}
