import { selectorOf } from "../../adapters/kubernetes/manifests.ts";
import type { Deps } from "../deps.ts";
import { clusterFor, readClusterSettings } from "./cluster.ts";

/** Deletes an environment's (or every environment's) objects; quiet without a cluster. */
export async function removeContainerObjects(deps: Deps, serviceName: string, envName?: string) {
  if (!readClusterSettings(deps)) return;
  const { kube } = clusterFor(deps);
  const selector = envName
    ? selectorOf(serviceName, envName)
    : `app.kubernetes.io/managed-by=berth,berth.dev/service=${serviceName}`;
  await kube.deleteAll(selector);
}
