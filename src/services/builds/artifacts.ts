import fs from "node:fs/promises";
import type { Artifact } from "../../db/builds/builds-repo.ts";
import { conflict, notFound } from "../../domain/errors.ts";
import type { Deployment } from "../../domain/releases/types.ts";
import { getEnvironment } from "../releases/catalog.ts";
import { acceptBundle } from "../releases/deploy.ts";
import type { BuildsDeps } from "./deps.ts";

export type { Artifact };

export function getArtifact(deps: BuildsDeps, id: string): Artifact {
  const artifact = deps.repos.builds.artifact(id);
  if (!artifact) throw notFound("artifact_not_found", `There is no artifact ${id}.`);
  return artifact;
}

/**
 * Deploys an artifact's stored zip to an environment of its service, through the same
 * pipeline as an upload (validated again, queued behind that environment's deployments).
 */
export async function deployArtifact(
  deps: BuildsDeps,
  artifactId: string,
  environmentName: string,
): Promise<Deployment> {
  const artifact = getArtifact(deps, artifactId);
  const service = deps.repos.services.byId(artifact.serviceId);
  if (!service) throw notFound("artifact_not_found", `There is no artifact ${artifactId}.`);
  const target = getEnvironment(deps, service.name, environmentName);
  const path = deps.layout.bundle(artifact.bundleSha256, "zip");
  const stat = await fs.stat(path).catch(() => null);
  if (!stat) {
    throw conflict("bundle_missing", `The stored bundle of artifact ${artifactId} is gone.`);
  }
  return acceptBundle(
    deps,
    target,
    { sha256: artifact.bundleSha256, format: "zip", bytes: stat.size, path },
    { message: `artifact ${artifact.id}`, commit: artifact.commitSha, artifactId: artifact.id },
  );
}
