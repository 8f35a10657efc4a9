import fs from "node:fs/promises";
import path from "node:path";
import { journal } from "../core/journal.ts";
import type { ReleasesDeps } from "./deps.ts";
import { pointCurrent, readCurrent, removeTree } from "./release-files.ts";

/**
 * At start-up: every deployment a crash cut off is marked interrupted, staging and
 * half-made release directories are removed, and each environment's `current` is made
 * to point at its last complete release again.
 */
export async function recoverInterrupted(deps: ReleasesDeps): Promise<number> {
  const { deployments, environments, services } = deps.repos;
  // container deployments are followed again instead (containers/rollout.ts resumeRollouts)
  const cut = deployments.inFlight().filter((d) => d.source !== "image");
  for (const d of cut) {
    journal(deps, d.id, (tx, note) => {
      deployments.transition(tx, d.id, "interrupted", {
        failedStage: d.status === "queued" ? "queue" : d.status,
        errorCode: "interrupted",
        errorMessage: "Berth stopped before this deployment finished.",
        finishedAt: Date.now(),
      });
      note(d.status, `Interrupted: Berth stopped while this deployment was ${d.status}.`, "error");
      environments.addEvent(tx, {
        environmentId: d.environmentId,
        action: "deployment.interrupted",
        deploymentId: d.id,
        message: `Deployment ${d.id} was interrupted by a restart.`,
      });
    });
  }
  // uploads cut off before they were validated and filed
  await removeTree(deps.layout.uploadsDir);
  // bundles unpacked for deployments that were queued: all of them are interrupted now
  await removeTree(deps.layout.unpackedDir);
  const interrupted = new Set(cut.map((d) => d.id));
  for (const env of environments.listAll()) {
    const service = services.byId(env.serviceId);
    if (!service || service.kind === "container") continue;
    const releases = deps.layout.releasesDir(service.name, env.name);
    for (const name of await fs.readdir(releases).catch(() => [] as string[])) {
      if (name.endsWith(".staging") || interrupted.has(name)) {
        await removeTree(path.join(releases, name));
      }
    }
    const envDir = deps.layout.environmentDir(service.name, env.name);
    for (const name of await fs.readdir(envDir).catch(() => [] as string[])) {
      // a temp symlink left by a swap that never got its rename
      if (name.startsWith("current.") && name.endsWith(".tmp")) {
        await fs.rm(path.join(envDir, name), { force: true });
      }
    }
    const link = deps.layout.current(service.name, env.name);
    const pointed = await readCurrent(link);
    if (pointed === env.liveDeploymentId) continue;
    if (env.liveDeploymentId) {
      await pointCurrent(link, deps.layout.release(service.name, env.name, env.liveDeploymentId));
    } else {
      await fs.rm(link, { force: true });
    }
    deps.logger.warn({ environmentId: env.id, pointed }, "current repointed to the live release");
  }
  return cut.length;
}
