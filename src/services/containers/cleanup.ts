import { selectorOf } from "../../adapters/kubernetes/manifests.ts";
import { clusterFor, readClusterSettings } from "./cluster.ts";
import type { ContainersDeps } from "./deps.ts";

/** Deletes an environment's (or every environment's) objects; quiet without a cluster. */
export async function removeContainerObjects(
  deps: ContainersDeps,
  serviceName: string,
  envName?: string,
) {
  if (!readClusterSettings(deps)) return;
  const { kube } = clusterFor(deps);
  const selector = envName
    ? selectorOf(serviceName, envName)
    : `app.kubernetes.io/managed-by=berth,berth.dev/service=${serviceName}`;
  await kube.deleteAll(selector);
}
