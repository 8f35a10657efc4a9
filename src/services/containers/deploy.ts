import type { SnapshotRow } from "../../db/containers/containers-repo.ts";
import { validateImage } from "../../domain/containers/containers.ts";
import { conflict, DomainError, unprocessable } from "../../domain/errors.ts";
import { newId } from "../../domain/ids.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import { journal } from "../core/journal.ts";
import { publishStatus } from "../releases/pipeline.ts";
import { manifestsFor } from "./apply.ts";
import { clusterFor } from "./cluster.ts";
import type { ContainersDeps } from "./deps.ts";
import { runRollout } from "./rollout.ts";
import { containerEnvironment } from "./spec.ts";

export type DeployInput = {
  image?: string;
  message?: string;
  restores?: string;
  pinDigest?: boolean;
};

/**
 * A container deploy: validate, make sure the cluster answers, record the deployment and
 * its immutable snapshot, server-side apply, answer; the rollout is followed after.
 * Nothing is written, and nothing applied, when the cluster cannot be reached.
 */
export async function deployContainer(
  deps: ContainersDeps,
  serviceName: string,
  envName: string,
  input: DeployInput,
): Promise<Deployment> {
  const { service, environment } = containerEnvironment(deps, serviceName, envName);
  const row = deps.repos.containers.spec(environment.id);
  const source:
    | Pick<SnapshotRow, "spec" | "secretEnv" | "secretNames" | "secretVersion" | "registry">
    | undefined = input.restores ? deps.repos.containers.snapshot(input.restores) : row;
  if (!source) {
    throw unprocessable(
      "no_container_spec",
      `Set the container of "${envName}" first (PUT .../container).`,
      "image",
    );
  }
  let image = input.image !== undefined ? validateImage(input.image) : source.spec.image;
  if (input.pinDigest && input.restores) {
    const digest = deps.repos.containers.snapshot(input.restores)?.imageDigest;
    if (digest) image = `${image.split("@")[0]?.replace(/:[^/:]*$/, "")}@${digest}`;
  }
  if (deps.repos.deployments.inFlightForEnvironments([environment.id]) > 0) {
    throw conflict("deployment_running", `A deployment of "${envName}" is still rolling out.`);
  }
  const { kube, settings } = clusterFor(deps);
  const version = await kube.version();
  await kube.ensureNamespace();
  const id = newId();
  const snap: SnapshotRow = {
    deploymentId: id,
    environmentId: environment.id,
    spec: { ...source.spec, image },
    secretEnv: source.secretEnv,
    secretNames: source.secretNames,
    secretVersion: source.secretVersion,
    registry: source.registry,
    imageDigest: null,
    restores: input.restores ?? null,
  };
  const names = {
    service: service.name,
    environment: environment.name,
    environmentId: environment.id,
  };
  const { objects, summary } = manifestsFor(deps, settings, names, snap);
  const d = journal(deps, id, (tx, note) => {
    const created = deps.repos.deployments.insert(tx, {
      id,
      environmentId: environment.id,
      source: "image",
      artifactId: null,
      redeployOf: input.restores ?? null,
      bundleSha256: "",
      bundleFormat: "zip",
      bundleBytes: 0,
      message: input.message ?? null,
      commit: null,
    });
    deps.repos.containers.insertSnapshot(tx, snap);
    deps.repos.deployments.transition(tx, id, "preparing", { startedAt: Date.now() });
    note("apply", `Cluster ${version}, namespace ${kube.namespace}.`);
    note("apply", `Image ${image}, ${snap.spec.replicas} replica(s), port ${snap.spec.port}.`);
    const env = Object.keys(snap.spec.env);
    if (env.length) note("apply", `Environment: ${env.join(", ")}.`);
    if (snap.secretNames.length) {
      note(
        "apply",
        `Secret environment: ${snap.secretNames.join(", ")} (version ${snap.secretVersion}).`,
      );
    }
    if (input.restores) note("apply", `Re-applying the whole snapshot of ${input.restores}.`);
    return created;
  });
  publishStatus(deps, id, "preparing");
  try {
    await kube.apply(objects);
  } catch (err) {
    const e = err instanceof DomainError ? err : unprocessable("apply_failed", String(err));
    journal(deps, id, (tx, note) => {
      note("apply", e.message, "error");
      deps.repos.deployments.transition(tx, id, "failed", {
        failedStage: "apply",
        errorCode: e.code,
        errorMessage: e.message,
        finishedAt: Date.now(),
      });
    });
    publishStatus(deps, id, "failed", true);
    throw e;
  }
  journal(deps, id, (tx, note) => {
    note("apply", `Applied (server-side, field manager berth): ${summary.join("; ")}.`);
    deps.repos.deployments.transition(tx, id, "activating");
    deps.repos.environments.addEvent(tx, {
      environmentId: environment.id,
      action: input.restores ? "deployment.rollback" : "deployment.started",
      deploymentId: id,
      message: `Deployment ${id} of ${image} is rolling out.`,
    });
  });
  publishStatus(deps, id, "activating");
  void runRollout(deps, id).catch((err: unknown) =>
    deps.logger.error({ err, deploymentId: id }, "rollout follow failed"),
  );
  return deps.repos.deployments.byId(d.id) as Deployment;
}

/** Rollback: an earlier successful deployment's whole snapshot, pinned to the digest that ran. */
export async function rollbackContainer(
  deps: ContainersDeps,
  serviceName: string,
  envName: string,
  deploymentId?: string,
): Promise<Deployment> {
  const { environment } = containerEnvironment(deps, serviceName, envName);
  const liveId = deps.repos.environments.byId(environment.id)?.liveDeploymentId ?? null;
  const target = deploymentId
    ? deps.repos.containers.snapshot(deploymentId)
    : deps.repos.containers.lastGood(environment.id, liveId ?? undefined);
  if (!target || target.environmentId !== environment.id) {
    throw conflict(
      "nothing_to_roll_back_to",
      `Environment "${envName}" has no earlier good deployment.`,
    );
  }
  const status = deps.repos.deployments.byId(target.deploymentId)?.status;
  if (status !== "superseded" && status !== "live") {
    throw conflict("not_rollback_target", `Deployment ${target.deploymentId} never went live.`);
  }
  return deployContainer(deps, serviceName, envName, {
    restores: target.deploymentId,
    pinDigest: true,
    message: `Rollback to ${target.deploymentId}`,
  });
}
