import fs from "node:fs/promises";
import { DomainError, unprocessable } from "../../domain/errors.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import { journal } from "../core/journal.ts";
import { placeRelease } from "./bundle-root.ts";
import type { ReleasesDeps } from "./deps.ts";
import { checkHealth } from "./health.ts";
import { pruneReleases } from "./prune.ts";
import { pointCurrent, removeTree } from "./release-files.ts";

const MiB = 1024 * 1024;
export const formatBytes = (n: number) =>
  n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

/**
 * Extract → rename → swap `current` → health check → prune → live, each step journaled
 * before it happens. A failure after the swap points `current` back at the release that
 * was live, so visitors never stay on a broken one.
 */
export async function runPipeline(
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
