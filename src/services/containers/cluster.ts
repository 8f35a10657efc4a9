import { connect, type Kube, kubeConfigOf } from "../../adapters/kubernetes/client.ts";
import { conflict, unprocessable } from "../../domain/errors.ts";
import { Secret } from "../core/secrets.ts";
import { readSection, writeSection } from "../core/settings.ts";
import type { ContainersDeps } from "./deps.ts";

/** Settings → Kubernetes: one cluster and namespace per installation; the kubeconfig encrypted. */
export type ClusterSettings = {
  inCluster: boolean;
  context: string | null;
  namespace: string;
  ingressClass: string | null;
  /** How long a pod may be stuck (pull error, config error, crash loop) before the rollout fails. */
  failWindowSeconds: number;
};

const SECTION = "kubernetes";

export function readClusterSettings(deps: ContainersDeps): {
  settings: ClusterSettings;
  kubeconfig: Secret | undefined;
  version: string;
} | null {
  const read = readSection(deps, SECTION);
  if (!read.values) return null;
  return {
    settings: read.values as ClusterSettings,
    kubeconfig: read.secrets.get("kubeconfig"),
    version: read.version,
  };
}

type Input = Record<string, unknown>;

export function saveClusterSettings(deps: ContainersDeps, body: unknown): ClusterSettings {
  if (body === null || typeof body !== "object") {
    throw unprocessable("invalid_settings", "The body must be a JSON object.");
  }
  const b = body as Input;
  const inCluster = b.inCluster === true;
  const namespace = b.namespace ?? "berth";
  if (typeof namespace !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw unprocessable("invalid_settings", "namespace: must be a DNS label.", "namespace");
  }
  const window = b.failWindowSeconds ?? 60;
  if (typeof window !== "number" || !Number.isInteger(window) || window < 1 || window > 600) {
    throw unprocessable(
      "invalid_settings",
      "failWindowSeconds: a whole number from 1 to 600.",
      "failWindowSeconds",
    );
  }
  const ingressClass = b.ingressClass ?? null;
  if (
    ingressClass !== null &&
    (typeof ingressClass !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(ingressClass))
  ) {
    throw unprocessable(
      "invalid_settings",
      "ingressClass: must be a resource name.",
      "ingressClass",
    );
  }
  const context = typeof b.context === "string" && b.context ? b.context : null;
  let kubeconfig: Secret | undefined;
  if (!inCluster) {
    if (typeof b.kubeconfig !== "string" || b.kubeconfig.trim() === "") {
      const kept = readClusterSettings(deps)?.kubeconfig;
      if (!kept)
        throw unprocessable(
          "invalid_settings",
          "kubeconfig: paste a kubeconfig, or set inCluster.",
          "kubeconfig",
        );
    } else {
      try {
        kubeConfigOf({ kubeconfig: b.kubeconfig, context: context ?? undefined });
      } catch (err) {
        throw unprocessable(
          "invalid_settings",
          `kubeconfig: ${(err as Error).message.split("\n")[0]}`,
          "kubeconfig",
        );
      }
      kubeconfig = new Secret(b.kubeconfig);
    }
  }
  const settings: ClusterSettings = {
    inCluster,
    context,
    namespace,
    ingressClass,
    failWindowSeconds: window,
  };
  writeSection(deps, SECTION, settings, { kubeconfig: inCluster ? null : kubeconfig });
  return settings;
}

const cache = new WeakMap<ContainersDeps, { version: string; kube: Kube }>();

/** The cluster client for the saved settings, made once per settings version. */
export function clusterFor(deps: ContainersDeps): { kube: Kube; settings: ClusterSettings } {
  const saved = readClusterSettings(deps);
  if (!saved) {
    throw conflict(
      "kubernetes_not_configured",
      "Connect a Kubernetes cluster first (Settings → Kubernetes).",
    );
  }
  const hit = cache.get(deps);
  if (hit && hit.version === saved.version) return { kube: hit.kube, settings: saved.settings };
  const kube = connect({
    inCluster: saved.settings.inCluster,
    kubeconfig: saved.kubeconfig?.reveal(),
    context: saved.settings.context ?? undefined,
    namespace: saved.settings.namespace,
  });
  cache.set(deps, { version: saved.version, kube });
  return { kube, settings: saved.settings };
}

/** What Berth does in the namespace, as SelfSubjectAccessReview attributes. */
export const NEEDED: { verb: string; resource: string; group: string }[] = [
  ...["get", "list", "watch"].map((verb) => ({ verb, resource: "pods", group: "" })),
  { verb: "get", resource: "pods/log", group: "" },
  ...["list", "watch"].map((verb) => ({ verb, resource: "events", group: "" })),
  ...["get", "list", "watch", "create", "patch", "delete"].map((verb) => ({
    verb,
    resource: "deployments",
    group: "apps",
  })),
  { verb: "update", resource: "deployments/scale", group: "apps" },
  ...["list", "watch"].map((verb) => ({ verb, resource: "replicasets", group: "apps" })),
  ...["get", "list", "create", "patch", "delete"].map((verb) => ({
    verb,
    resource: "secrets",
    group: "",
  })),
  ...["get", "list", "create", "patch", "delete"].map((verb) => ({
    verb,
    resource: "services",
    group: "",
  })),
  ...["get", "list", "create", "patch", "delete"].map((verb) => ({
    verb,
    resource: "ingresses",
    group: "networking.k8s.io",
  })),
];

export async function checkCluster(deps: ContainersDeps) {
  const { kube } = clusterFor(deps);
  const version = await kube.version();
  const results = await Promise.all(
    NEEDED.map(async (n) => ({ ...n, allowed: await kube.canI(n.verb, n.resource, n.group) })),
  );
  let namespace: string;
  try {
    namespace = await kube.ensureNamespace();
  } catch {
    namespace = "missing";
  }
  const missing = results.filter((r) => !r.allowed).map((r) => `${r.verb} ${r.resource}`);
  return {
    version,
    namespace: kube.namespace,
    namespaceStatus: namespace,
    ok: missing.length === 0,
    missing,
    verbs: results,
  };
}
