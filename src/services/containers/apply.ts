import type { Kube } from "../../adapters/kubernetes/client.ts";
import {
  deploymentManifest,
  ingressManifest,
  type Manifest,
  objectName,
  registryManifest,
  secretManifest,
  serviceManifest,
  type Target,
} from "../../adapters/kubernetes/manifests.ts";
import type { SnapshotRow } from "../../db/containers/containers-repo.ts";
import { environmentLabel } from "../../domain/edge/hosts.ts";
import { berthRelease } from "../../domain/reports/reports.ts";
import type { ClusterSettings } from "./cluster.ts";
import type { ContainersDeps } from "./deps.ts";
import { decryptRegistry, decryptSecretEnv } from "./spec.ts";

/** The objects a snapshot stands for, in the order they are applied (the Deployment after what it names). */
export function manifestsFor(
  deps: ContainersDeps,
  settings: ClusterSettings,
  names: { service: string; environment: string; environmentId: number },
  snap: Pick<SnapshotRow, "deploymentId" | "spec" | "secretEnv" | "registry">,
  image = snap.spec.image,
): { objects: Manifest[]; summary: string[] } {
  const hosts = [
    `${environmentLabel(names.service, names.environment)}.${deps.baseDomain}`,
    ...deps.repos.domains.listForEnvironment(names.environmentId).map((d) => d.hostname),
  ];
  const target: Target = {
    namespace: settings.namespace,
    service: names.service,
    environment: names.environment,
    deploymentId: snap.deploymentId,
    hosts,
    ingressClass: settings.ingressClass,
  };
  const secretEnv = decryptSecretEnv(deps, snap.secretEnv);
  const registry = decryptRegistry(deps, snap.registry);
  const objects: Manifest[] = [];
  const summary: string[] = [];
  let secret: string | null = null;
  if (Object.keys(secretEnv).length > 0) {
    const m = secretManifest(target, secretEnv);
    secret = m.metadata.name;
    objects.push(m);
    summary.push(`Secret ${secret}`);
  }
  let pull: string | null = null;
  if (registry) {
    const m = registryManifest(target, registry);
    pull = m.metadata.name;
    objects.push(m);
    summary.push(`Secret ${pull} (registry credentials for ${registry.server})`);
  }
  const name = objectName(names.service, names.environment);
  // error reports name the deployment they come from (docs/ERRORS.md); Berth's value wins
  const env = { ...snap.spec.env, BERTH_RELEASE: berthRelease(snap.deploymentId, image) };
  objects.push(deploymentManifest(target, { ...snap.spec, image, env }, secret, pull));
  objects.push(serviceManifest(target, snap.spec.port));
  objects.push(ingressManifest(target));
  summary.push(`Deployment ${name}`, `Service ${name}`, `Ingress ${name} (${hosts.join(", ")})`);
  return { objects, summary };
}

export async function applyObjects(kube: Kube, objects: Manifest[]): Promise<void> {
  await kube.apply(objects);
}
