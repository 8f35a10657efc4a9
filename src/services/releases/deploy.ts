import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import { type ArchiveSummary, extractArchive } from "../../adapters/archive/index.ts";
import { conflict, DomainError, notFound, unprocessable } from "../../domain/errors.ts";
import { newId } from "../../domain/ids.ts";
import type { Deployment, Environment, Service } from "../../domain/releases/types.ts";
import { journal } from "../core/journal.ts";
import { placeRelease } from "./bundle-root.ts";
import { discardUpload, fileBundle, type StoredBundle } from "./bundle-store.ts";
import type { ReleasesDeps } from "./deps.ts";
import { checkHealth } from "./health.ts";
import { pruneReleases } from "./prune.ts";
import { pointCurrent, removeTree } from "./release-files.ts";

const MiB = 1024 * 1024;
export const formatBytes = (n: number) =>
  n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

/**
 * Takes a stored bundle for an environment: validates every entry while unpacking it
 * into tmp/unpacked/<id>, inflating it once (a bad bundle is refused here and nothing
 * stays written), records the deployment as queued, and queues the release pipeline
 * behind any other deployment of the same environment.
 */
export async function acceptBundle(
  deps: ReleasesDeps,
  target: { service: Service; environment: Environment },
  bundle: StoredBundle,
  meta: {
    message?: string | null;
    commit?: string | null;
    redeployOf?: string | null;
    artifactId?: string | null;
    /** Serve the bundle's one folder as the site's root. */
    stripFolder?: boolean;
  },
): Promise<Deployment> {
  // named apart from the id, which is taken only when the deployment is queued, so
  // that ids keep the order of the queue however long each upload takes to unpack
  const unpacked = deps.layout.unpacked(randomBytes(12).toString("hex"));
  const started = Date.now();
  let summary: Awaited<ReturnType<typeof extractArchive>>;
  try {
    summary = await extractArchive(bundle.path, bundle.format, unpacked, deps.limits);
  } catch (err) {
    // a refused upload leaves nothing behind; a stored bundle (redeploy) stays
    await discardUpload(deps.layout, bundle);
    throw err;
  }
  try {
    return await recordDeployment(deps, target, bundle, meta, { dir: unpacked, summary, started });
  } catch (err) {
    await removeTree(unpacked).catch(() => undefined);
    throw err;
  }
}

async function recordDeployment(
  deps: ReleasesDeps,
  target: { service: Service; environment: Environment },
  bundle: StoredBundle,
  meta: Parameters<typeof acceptBundle>[3],
  unpacked: { dir: string; summary: ArchiveSummary; started: number },
): Promise<Deployment> {
  const { summary } = unpacked;
  const filed = await fileBundle(deps.layout, bundle);
  const id = newId();
  const deployment = await recordOrDrop(deps, target, filed, () =>
    journal(deps, id, (tx, note) => {
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
        stripFolder: meta.stripFolder ?? false,
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
        `Validated ${summary.fileCount} files, ${formatBytes(summary.totalBytes)} uncompressed (unpacked in ${Date.now() - unpacked.started} ms).`,
      );
      note("queue", "Queued.");
      deps.repos.environments.addEvent(tx, {
        environmentId: target.environment.id,
        action: "deployment.created",
        deploymentId: id,
        message: `Deployment ${id} queued${meta.message ? `: ${meta.message}` : ""}.`,
      });
      return { ...row, fileCount: summary.fileCount, totalBytes: summary.totalBytes };
    }),
  );
  void deps.queue
    .run(target.environment.id, () =>
      runPipeline(deps, target.service.name, target.environment.name, id, unpacked.dir),
    )
    .catch((err: unknown) => deps.logger.error({ err, deploymentId: id }, "pipeline crashed"));
  return deployment;
}

/**
 * Records a deployment, unless its environment was deleted while the bundle uploaded:
 * then 404, and the bundle goes too when nothing else refers to it.
 */
async function recordOrDrop(
  deps: ReleasesDeps,
  target: { service: Service; environment: Environment },
  bundle: StoredBundle,
  record: () => Deployment,
): Promise<Deployment> {
  const gone = () =>
    notFound(
      "environment_not_found",
      `Environment "${target.environment.name}" of "${target.service.name}" was deleted while the bundle was uploading.`,
    );
  if (!deps.repos.environments.byId(target.environment.id)) {
    await dropUnreferenced(deps, bundle);
    throw gone();
  }
  try {
    return record();
  } catch (err) {
    // deleted between the check and the insert: the foreign key refuses the row
    if (deps.repos.environments.byId(target.environment.id)) throw err;
    await dropUnreferenced(deps, bundle);
    throw gone();
  }
}

async function dropUnreferenced(deps: ReleasesDeps, bundle: StoredBundle): Promise<void> {
  const sha = bundle.sha256;
  if (deps.repos.deployments.referencedBundles().has(sha)) return;
  if (deps.repos.builds.referencedBundles().has(sha)) return;
  await fs.rm(bundle.path, { force: true });
}

/** Redeploys a deployment's stored bundle (for example one whose release was pruned). */
export async function redeploy(
  deps: ReleasesDeps,
  deploymentId: string,
  opts: { stripFolder?: boolean } = {},
): Promise<Deployment> {
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
    {
      message: source.message,
      commit: source.commit,
      redeployOf: source.id,
      stripFolder: opts.stripFolder ?? source.stripFolder,
    },
  );
}

/**
 * Extract → rename → swap `current` → health check → prune → live, each step journaled
 * before it happens. A failure after the swap points `current` back at the release that
 * was live, so visitors never stay on a broken one.
 */
async function runPipeline(
  deps: ReleasesDeps,
  service: string,
  env: string,
  id: string,
  unpacked: string,
): Promise<void> {
  const { deployments, environments } = deps.repos;
  const d = deployments.byId(id);
  if (d?.status !== "queued") {
    await removeTree(unpacked).catch(() => undefined);
    return;
  }
  const release = deps.layout.release(service, env, id);
  let stage = "extract";
  let swapped = false;
  const started = Date.now();
  try {
    journal(deps, id, (tx, note) => {
      deployments.transition(tx, id, "preparing", { startedAt: started });
      note("extract", "Moving the bundle unpacked at upload into its release directory.");
    });
    publishStatus(deps, id, "preparing");
    await fs.mkdir(deps.layout.releasesDir(service, env), { recursive: true });
    const placed = await placeRelease(unpacked, release, d.stripFolder);
    if (placed) journal(deps, id, (_tx, note) => note("extract", placed));
    stage = "activate";
    journal(deps, id, (tx, note) => {
      deployments.transition(tx, id, "activating");
      note(
        "extract",
        `Release ready: ${d.fileCount ?? 0} files (${formatBytes(d.totalBytes ?? 0)}) in ${Date.now() - started} ms.`,
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
    await removeTree(unpacked).catch(() => undefined);
    if (swapped) await restoreLive(deps, service, env, d.environmentId, id);
    if (d.artifactId) deps.repos.builds.markArtifact(d.artifactId, false);
    // extracted but never live: the release directory is of no use to anyone
    await removeTree(release).catch(() => undefined);
    failDeployment(deps, id, stage, err);
  }
}

/** Points `current` back at the environment's live release (or at nothing) after a failed switch. */
async function restoreLive(
  deps: ReleasesDeps,
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

function failDeployment(deps: ReleasesDeps, id: string, stage: string, err: unknown): void {
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
  deps: ReleasesDeps,
  id: string,
  status: Deployment["status"],
  final = false,
): void {
  deps.logBus.publish(id, { type: "status", status, final });
}
