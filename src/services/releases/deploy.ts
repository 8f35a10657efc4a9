import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import { type ArchiveSummary, extractArchive } from "../../adapters/archive/index.ts";
import { conflict, notFound } from "../../domain/errors.ts";
import { newId } from "../../domain/ids.ts";
import type { Deployment, Environment, Service } from "../../domain/releases/types.ts";
import { journal } from "../core/journal.ts";
import { discardUpload, fileBundle, type StoredBundle } from "./bundle-store.ts";
import type { ReleasesDeps } from "./deps.ts";
import { formatBytes, runPipeline } from "./pipeline.ts";
import { removeTree } from "./release-files.ts";

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
