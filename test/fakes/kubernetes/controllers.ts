// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
import { createHash, randomBytes } from "node:crypto";
import type { Cluster } from "./cluster.ts";

/**
 * The Deployment and ReplicaSet controllers, reduced to what a rollout shows: one
 * ReplicaSet per pod template (pod-template-hash), the new one scaled to spec.replicas,
 * old ones scaled down as new pods become available, and status with observedGeneration,
 * updated/ready/available replicas and the Progressing/Available conditions (including
 * ProgressDeadlineExceeded after progressDeadlineSeconds). Plus the garbage collector:
 * objects whose owners are gone are deleted (background propagation).
 */
const progress = new WeakMap<Cluster, Map<string, { at: number; available: number }>>();

const ownedBy = (o: any, uid: string) =>
  (o.metadata.ownerReferences ?? []).some((r: any) => r.uid === uid);
const ready = (p: any) =>
  (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");
const ownerRef = (o: any) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  uid: o.metadata.uid,
  controller: true,
  blockOwnerDeletion: true,
});

export function templateHash(template: any): string {
  return createHash("sha256").update(JSON.stringify(template)).digest("hex").slice(0, 10);
}

function reconcileDeployment(c: Cluster, d: any): void {
  if (d.spec?.paused) return;
  const ns = d.metadata.namespace;
  const hash = templateHash(d.spec.template);
  const sets = c.store.list("replicasets", ns).filter((rs) => ownedBy(rs, d.metadata.uid));
  let current = sets.find((rs) => rs.metadata.labels?.["pod-template-hash"] === hash);
  const revision = Math.max(
    0,
    ...sets.map((rs) =>
      Number(rs.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? 0),
    ),
  );
  const want = d.spec.replicas ?? 1;
  let track = progress.get(c);
  if (!track) {
    track = new Map();
    progress.set(c, track);
  }
  if (!current) {
    const template = structuredClone(d.spec.template);
    template.metadata ??= {};
    template.metadata.labels = { ...template.metadata.labels, "pod-template-hash": hash };
    current = c.store.put("replicasets", {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: ns,
        labels: template.metadata.labels,
        annotations: { "deployment.kubernetes.io/revision": String(revision + 1) },
        ownerReferences: [ownerRef(d)],
        generation: 1,
      },
      spec: { replicas: want, selector: d.spec.selector, template },
    });
    c.event(
      d,
      "Normal",
      "ScalingReplicaSet",
      `Scaled up replica set ${current.metadata.name} from 0 to ${want}`,
      "deployment-controller",
    );
    track.set(d.metadata.uid, { at: Date.now(), available: 0 });
  } else if (current.spec.replicas !== want) {
    current = c.update("replicasets", current, (rs) => {
      rs.spec.replicas = want;
      rs.metadata.generation = (rs.metadata.generation ?? 1) + 1;
    });
  }
  const pods = c.store.list("pods", ns);
  const podsOf = (rs: any) => pods.filter((p) => ownedBy(p, rs.metadata.uid));
  const newPods = podsOf(current);
  const newAvailable = newPods.filter(ready).length;
  const old = sets.filter((rs) => rs !== current && rs.metadata.uid !== current.metadata.uid);
  let oldBudget = Math.max(0, want - newAvailable);
  for (const rs of old) {
    const keep = Math.min(rs.spec.replicas ?? 0, oldBudget);
    oldBudget -= keep;
    if (keep !== rs.spec.replicas) {
      c.update("replicasets", rs, (x) => {
        x.spec.replicas = keep;
      });
      if (keep === 0) {
        c.event(
          d,
          "Normal",
          "ScalingReplicaSet",
          `Scaled down replica set ${rs.metadata.name} from ${rs.spec.replicas} to 0`,
          "deployment-controller",
        );
      }
    }
  }
  const all = [current, ...old].flatMap(podsOf);
  const t = track.get(d.metadata.uid) ?? { at: Date.now(), available: 0 };
  if (newAvailable !== t.available)
    track.set(d.metadata.uid, { at: Date.now(), available: newAvailable });
  const deadlineMs = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
  const complete = newAvailable >= want && newPods.length === want && all.length === want;
  const stalled = !complete && Date.now() - t.at > deadlineMs;
  c.update("deployments", d, (x) => {
    const prev = x.status?.conditions ?? [];
    const cond = (type: string, status: string, reason: string, message: string) => {
      const before = prev.find((p: any) => p.type === type);
      const same = before?.status === status && before?.reason === reason;
      return {
        type,
        status,
        reason,
        message,
        lastUpdateTime: same ? before.lastUpdateTime : new Date().toISOString(),
        lastTransitionTime:
          before?.status === status ? before.lastTransitionTime : new Date().toISOString(),
      };
    };
    const available = all.filter(ready).length;
    x.status = {
      observedGeneration: x.metadata.generation,
      replicas: all.length,
      updatedReplicas: newPods.length,
      readyReplicas: available,
      availableReplicas: available,
      unavailableReplicas: Math.max(0, want - available) || undefined,
      conditions: [
        available >= want
          ? cond(
              "Available",
              "True",
              "MinimumReplicasAvailable",
              "Deployment has minimum availability.",
            )
          : cond(
              "Available",
              "False",
              "MinimumReplicasUnavailable",
              "Deployment does not have minimum availability.",
            ),
        complete
          ? cond(
              "Progressing",
              "True",
              "NewReplicaSetAvailable",
              `ReplicaSet "${current.metadata.name}" has successfully progressed.`,
            )
          : stalled
            ? cond(
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                `ReplicaSet "${current.metadata.name}" has timed out progressing.`,
              )
            : cond(
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                `ReplicaSet "${current.metadata.name}" is progressing.`,
              ),
      ],
    };
    if (x.status.unavailableReplicas === undefined) delete x.status.unavailableReplicas;
  });
}

function reconcileReplicaSet(c: Cluster, rs: any): void {
  const ns = rs.metadata.namespace;
  const pods = c.store.list("pods", ns).filter((p) => ownedBy(p, rs.metadata.uid));
  const want = rs.spec.replicas ?? 1;
  for (let i = pods.length; i < want; i++) {
    const tpl = structuredClone(rs.spec.template);
    const pod = c.store.put("pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...tpl.metadata,
        name: `${rs.metadata.name}-${randomBytes(3).toString("hex").slice(0, 5)}`,
        namespace: ns,
        ownerReferences: [ownerRef(rs)],
      },
      spec: tpl.spec,
      status: { phase: "Pending", qosClass: "Burstable" },
    });
    c.event(
      rs,
      "Normal",
      "SuccessfulCreate",
      `Created pod: ${pod.metadata.name}`,
      "replicaset-controller",
    );
  }
  const excess = pods.length - want;
  if (excess > 0) {
    const victims = [...pods].sort((a, b) => Number(ready(a)) - Number(ready(b))).slice(0, excess);
    for (const p of victims) {
      c.store.remove("pods", ns, p.metadata.name);
      c.event(
        rs,
        "Normal",
        "SuccessfulDelete",
        `Deleted pod: ${p.metadata.name}`,
        "replicaset-controller",
      );
    }
  }
  const now = c.store.list("pods", ns).filter((p) => ownedBy(p, rs.metadata.uid));
  c.update("replicasets", rs, (x) => {
    x.status = {
      replicas: now.length,
      readyReplicas: now.filter(ready).length,
      availableReplicas: now.filter(ready).length,
      observedGeneration: x.metadata.generation,
    };
  });
}

function collectGarbage(c: Cluster): void {
  for (const [key, obj] of [...c.store.objects]) {
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) continue;
    if (refs.some((r: any) => c.store.byUid(r.uid))) continue;
    const resource = key.split("/")[0] as string;
    c.store.remove(resource, obj.metadata.namespace, obj.metadata.name);
  }
}

export function stepControllers(c: Cluster): void {
  for (const d of c.store.list("deployments")) reconcileDeployment(c, d);
  for (const rs of c.store.list("replicasets")) reconcileReplicaSet(c, rs);
  collectGarbage(c);
}
