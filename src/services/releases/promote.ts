import fs from "node:fs/promises";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import { acceptBundle } from "./deploy.ts";
import type { ReleasesDeps } from "./deps.ts";

/**
 * Deploys a deployment's stored bundle to another environment of the same service (staging
 * to production): the same bytes, a new deployment with its own release log.
 */
export async function promote(
  deps: ReleasesDeps,
  deploymentId: string,
  targetEnv: string,
): Promise<Deployment> {
  const source = deps.repos.deployments.byId(deploymentId);
  if (!source) throw notFound("deployment_not_found", `There is no deployment ${deploymentId}.`);
  const from = deps.repos.environments.byId(source.environmentId);
  const service = from && deps.repos.services.byId(from.serviceId);
  if (!from || !service) throw notFound("deployment_not_found", "Its environment is gone.");
  const target = deps.repos.environments
    .listForService(service.id)
    .find((e) => e.name === targetEnv);
  if (!target) {
    throw unprocessable(
      "environment_not_found",
      `${service.name} has no environment ${targetEnv}.`,
      "environment",
    );
  }
  if (target.id === from.id) {
    throw unprocessable(
      "same_environment",
      "Promote to another environment: this deployment is already in this one. Use redeploy.",
      "environment",
    );
  }
  const path = deps.layout.bundle(source.bundleSha256, source.bundleFormat);
  const stat = await fs.stat(path).catch(() => null);
  if (!stat) {
    throw conflict("bundle_missing", `The stored bundle of ${deploymentId} is no longer on disk.`);
  }
  return acceptBundle(
    deps,
    { service, environment: target },
    { sha256: source.bundleSha256, format: source.bundleFormat, bytes: stat.size, path },
    {
      message: source.message ?? `Promoted from ${from.name} (${source.id})`,
      commit: source.commit,
      redeployOf: source.id,
      stripFolder: source.stripFolder,
    },
  );
}
