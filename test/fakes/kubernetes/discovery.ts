/** The resources the fake serves, and the discovery documents that describe them. */
export type ResourceDef = {
  group: string;
  version: string;
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  subresources?: string[];
};

const RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export const RESOURCES: ResourceDef[] = [
  { group: "", version: "v1", name: "namespaces", kind: "Namespace", namespaced: false, verbs: RW },
  {
    group: "",
    version: "v1",
    name: "pods",
    kind: "Pod",
    namespaced: true,
    verbs: RW,
    subresources: ["log", "status"],
  },
  { group: "", version: "v1", name: "secrets", kind: "Secret", namespaced: true, verbs: RW },
  { group: "", version: "v1", name: "services", kind: "Service", namespaced: true, verbs: RW },
  { group: "", version: "v1", name: "events", kind: "Event", namespaced: true, verbs: RW },
  {
    group: "apps",
    version: "v1",
    name: "deployments",
    kind: "Deployment",
    namespaced: true,
    verbs: RW,
    subresources: ["scale", "status"],
  },
  {
    group: "apps",
    version: "v1",
    name: "replicasets",
    kind: "ReplicaSet",
    namespaced: true,
    verbs: RW,
    subresources: ["scale", "status"],
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    name: "ingresses",
    kind: "Ingress",
    namespaced: true,
    verbs: RW,
  },
  {
    group: "authorization.k8s.io",
    version: "v1",
    name: "selfsubjectaccessreviews",
    kind: "SelfSubjectAccessReview",
    namespaced: false,
    verbs: ["create"],
  },
  {
    group: "metrics.k8s.io",
    version: "v1beta1",
    name: "pods",
    kind: "PodMetrics",
    namespaced: true,
    verbs: ["get", "list"],
  },
];

export const gv = (r: { group: string; version: string }) =>
  r.group ? `${r.group}/${r.version}` : r.version;

export function findResource(group: string, version: string, name: string) {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.name === name);
}

export function resourceList(group: string, version: string, metrics: boolean) {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0 || (group === "metrics.k8s.io" && !metrics)) return undefined;
  const resources = rs.flatMap((r) => [
    { name: r.name, singularName: "", namespaced: r.namespaced, kind: r.kind, verbs: r.verbs },
    ...(r.subresources ?? []).map((s) => ({
      name: `${r.name}/${s}`,
      singularName: "",
      namespaced: r.namespaced,
      kind: s === "scale" ? "Scale" : r.kind,
      group: s === "scale" ? "autoscaling" : undefined,
      version: s === "scale" ? "v1" : undefined,
      verbs: s === "log" ? ["get"] : ["get", "patch", "update"],
    })),
  ]);
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: gv(rs[0] as ResourceDef),
    resources,
  };
}

export function groupList(metrics: boolean) {
  const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))].filter(
    (g) => metrics || g !== "metrics.k8s.io",
  );
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map((name) => {
      const version = RESOURCES.find((r) => r.group === name)?.version ?? "v1";
      const v = { groupVersion: `${name}/${version}`, version };
      return { name, versions: [v], preferredVersion: v };
    }),
  };
}
