import fs from "node:fs/promises";
import { extractArchive, inspectArchive } from "../adapters/archive/index.ts";
import { conflict, DomainError, notFound, unprocessable } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { Deployment, Environment, Service } from "../domain/types.ts";
import { discardUpload, fileBundle, type StoredBundle } from "./bundle-store.ts";
import type { Deps } from "./deps.ts";
import { checkHealth } from "./health.ts";
import { journal } from "./journal.ts";
import { pruneReleases } from "./prune.ts";
import { pointCurrent, removeTree } from "./release-files.ts";

const MiB = 1024 * 1024;
export const formatBytes = (n: number) =>
  n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

/**
 * Takes a stored bundle for an environment: validates every entry first (a bad bundle is
 * refused here and nothing is written), records the deployment as queued, and queues the
 * release pipeline behind any other deployment of the same environment.
 */
export async function acceptBundle(
  deps: Deps,
  target: { service: Service; environment: Environment },
  bundle: StoredBundle,
  meta: {
    message?: string | null;
    commit?: string | null;
    redeployOf?: string | null;
    artifactId?: string | null;
  },
): Promise<Deployment> {
  let summary: Awaited<ReturnType<typeof inspectArchive>>;
  try {
    summary = await inspectArchive(bundle.path, bundle.format, deps.limits);
  } catch (err) {
    // a refused upload leaves nothing behind; a stored bundle (redeploy) stays
    await discardUpload(deps.layout, bundle);
    throw err;
  }
  await fileBundle(deps.layout, bundle);
  const id = newId();
  const deployment = journal(deps, id, (tx, note) => {
    const row = deps.repos.deployments.insert(tx, {
      id,
      environmentId: target.environment.id,
      source: meta.artifactId ? "build" : meta.redeployOf ? "redeploy" : "upload",
      artifactId: meta.artifactId ?? null,
      redeployOf: meta.redeployOf ?? null,
      bundleSha256: bundle.sha256,
      bundleFormat: bundle.format,
      bundleBytes: bundle.bytes,
      message: meta.message ?? null,
      commit: meta.commit ?? null,
    });
    deps.repos.deployments.update(tx, id, {
      fileCount: summary.fileCount,
      totalBytes: summary.totalBytes,
    });
    note(
      "receive",
      meta.artifactId
        ? `Deploying artifact ${meta.artifactId} (${formatBytes(bundle.bytes)}, sha256 ${bundle.sha256}).`
        : meta.redeployOf
          ? `Redeploying the bundle of ${meta.redeployOf} (${bundle.format}, ${formatBytes(bundle.bytes)}, sha256 ${bundle.sha256}).`
          : `Received ${bundle.format} bundle: ${formatBytes(bundle.bytes)}, sha256 ${bundle.sha256}.`,
    );
    note(
      "validate",
      `Validated ${summary.fileCount} files, ${formatBytes(summary.totalBytes)} uncompressed.`,
    );
    note("queue", "Queued.");
    deps.repos.environments.addEvent(tx, {
      environmentId: target.environment.id,
      action: "deployment.created",
      deploymentId: id,
      message: `Deployment ${id} queued${meta.message ? `: ${meta.message}` : ""}.`,
    });
    return { ...row, fileCount: summary.fileCount, totalBytes: summary.totalBytes };
  });
  void deps.queue
    .run(target.environment.id, () =>
      runPipeline(deps, target.service.name, target.environment.name, id),
    )
    .catch((err: unknown) => deps.logger.error({ err, deploymentId: id }, "pipeline crashed"));
  return deployment;
}

/** Redeploys a deployment's stored bundle (for example one whose release was pruned). */
export async function redeploy(deps: Deps, deploymentId: string): Promise<Deployment> {
  const source = deps.repos.deployments.byId(deploymentId);
  if (!source) throw notFound("deployment_not_found", `There is no deployment ${deploymentId}.`);
  const environment = deps.repos.environments.byId(source.environmentId);
  const service = environment && deps.repos.services.byId(environment.serviceId);
  if (!environment || !service) throw notFound("deployment_not_found", "Its environment is gone.");
  const path = deps.layout.bundle(source.bundleSha256, source.bundleFormat);
  const stat = await fs.stat(path).catch(() => null);
  if (!stat) {
    throw conflict("bundle_missing", `The stored bundle of ${deploymentId} is no longer on disk.`);
  }
  return acceptBundle(
    deps,
    { service, environment },
    { sha256: source.bundleSha256, format: source.bundleFormat, bytes: stat.size, path },
    { message: source.message, commit: source.commit, redeployOf: source.id },
  );
}

/**
 * Extract → rename → swap `current` → health check → prune → live, each step journaled
 * before it happens. A failure after the swap points `current` back at the release that
 * was live, so visitors never stay on a broken one.
 */
async function runPipeline(deps: Deps, service: string, env: string, id: string): Promise<void> {
  const { deployments, environments } = deps.repos;
  const d = deployments.byId(id);
  if (d?.status !== "queued") return;
  const staging = deps.layout.staging(service, env, id);
  const release = deps.layout.release(service, env, id);
  let stage = "extract";
  let swapped = false;
  const started = Date.now();
  try {
    journal(deps, id, (tx, note) => {
      deployments.transition(tx, id, "preparing", { startedAt: started });
      note("extract", "Extracting into a fresh staging directory.");
    });
    publishStatus(deps, id, "preparing");
    await removeTree(staging);
    const summary = await extractArchive(
      deps.layout.bundle(d.bundleSha256, d.bundleFormat),
      d.bundleFormat,
      staging,
      deps.limits,
    );
    await fs.rename(staging, release);
    stage = "activate";
    journal(deps, id, (tx, note) => {
      deployments.transition(tx, id, "activating", {
        fileCount: summary.fileCount,
        totalBytes: summary.totalBytes,
      });
      note(
        "extract",
        `Extracted ${summary.fileCount} files (${formatBytes(summary.totalBytes)}) in ${Date.now() - started} ms.`,
      );
      note("activate", "Switching current to the new release.");
    });
    publishStatus(deps, id, "activating");
    await pointCurrent(deps.layout.current(service, env), release);
    swapped = true;
    const settings = environments.byId(d.environmentId);
    if (settings?.healthPath) {
      stage = "health";
      journal(deps, id, (_tx, note) =>
        note("health", `Checking GET ${settings.healthPath} for ${settings.healthStatus}.`),
      );
      const health = await checkHealth(deps, service, settings, (message) =>
        journal(deps, id, (_tx, note) => note("health", message, "warn")),
      );
      if (!health.ok)
        throw unprocessable("health_check_failed", `Health check failed: ${health.message}.`);
      journal(deps, id, (_tx, note) => note("health", `Healthy: ${health.message}.`));
    }
    await pruneReleases(deps, { service, env, environmentId: d.environmentId, deploymentId: id });
    journal(deps, id, (tx, note) => {
      const environment = environments.byId(d.environmentId);
      const previous = environment?.liveDeploymentId;
      if (previous) deployments.transition(tx, previous, "superseded");
      const now = Date.now();
      deployments.transition(tx, id, "live", { activatedAt: now, finishedAt: now });
      environments.setLive(tx, d.environmentId, id);
      note("activate", `Live in ${now - started} ms${previous ? `, replacing ${previous}` : ""}.`);
      environments.addEvent(tx, {
        environmentId: d.environmentId,
        action: "deployment.live",
        deploymentId: id,
        message: `Deployment ${id} is live.`,
      });
    });
    publishStatus(deps, id, "live", true);
    // for notifications, metrics and monitors (services/core/events.ts)
    deps.events.emit("deployment.live", {
      service,
      environment: env,
      deploymentId: id,
      durationMs: Date.now() - started,
    });
  } catch (err) {
    await removeTree(staging).catch(() => undefined);
    if (swapped) await restoreLive(deps, service, env, d.environmentId, id);
    if (d.artifactId) deps.repos.builds.markArtifact(d.artifactId, false);
    // extracted but never live: the release directory is of no use to anyone
    await removeTree(release).catch(() => undefined);
    failDeployment(deps, id, stage, err);
  }
}

/** Points `current` back at the environment's live release (or at nothing) after a failed switch. */
async function restoreLive(
  deps: Deps,
  service: string,
  env: string,
  environmentId: number,
  id: string,
) {
  const live = deps.repos.environments.byId(environmentId)?.liveDeploymentId ?? null;
  const link = deps.layout.current(service, env);
  if (live) await pointCurrent(link, deps.layout.release(service, env, live));
  else await fs.rm(link, { force: true });
  journal(deps, id, (_tx, note) =>
    note(
      "rollback",
      live ? `Rolled back: ${live} is live again.` : "Rolled back: nothing was live before.",
      "warn",
    ),
  );
}

function failDeployment(deps: Deps, id: string, stage: string, err: unknown): void {
  const code = err instanceof DomainError ? err.code : "internal_error";
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof DomainError))
    deps.logger.error({ err, deploymentId: id }, "deployment failed");
  const d = deps.repos.deployments.byId(id);
  if (!d || (d.status !== "queued" && d.status !== "preparing" && d.status !== "activating"))
    return;
  journal(deps, id, (tx, note) => {
    deps.repos.deployments.transition(tx, id, "failed", {
      failedStage: stage,
      errorCode: code,
      errorMessage: message,
      finishedAt: Date.now(),
    });
    note(stage, `Failed: ${message}`, "error");
    deps.repos.environments.addEvent(tx, {
      environmentId: d.environmentId,
      action: "deployment.failed",
      deploymentId: id,
      message: `Deployment ${id} failed at ${stage}: ${message}`,
    });
  });
  publishStatus(deps, id, "failed", true);
  // for notifications and metrics (services/core/events.ts)
  const where = deps.repos.environments.byId(d.environmentId);
  deps.events.emit("deployment.failed", {
    service: (where && deps.repos.services.byId(where.serviceId)?.name) ?? "",
    environment: where?.name ?? "",
    deploymentId: id,
    message,
    durationMs: d.startedAt ? Date.now() - d.startedAt : null,
  });
}

export function publishStatus(
  deps: Deps,
  id: string,
  status: Deployment["status"],
  final = false,
): void {
  deps.logBus.publish(id, { type: "status", status, final });
}
