import { PassThrough } from "node:stream";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeKube, startFakeKube } from "./index.ts";

/** The fake must be something the real client library talks to unchanged. */
let fake: FakeKube;
let kc: k8s.KubeConfig;
const ns = "berth";

async function until<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const deployment = (name: string, image: string, replicas = 2) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "app", image, ports: [{ containerPort: 8080 }] }] },
    },
  },
});

beforeAll(async () => {
  fake = await startFakeKube({ token: "t0ken" });
  kc = new k8s.KubeConfig();
  kc.loadFromString(fake.kubeconfig(ns));
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => fake.stop());

describe("fake Kubernetes API with @kubernetes/client-node", () => {
  it("rejects a request without the token", async () => {
    const bad = new k8s.KubeConfig();
    bad.loadFromString(fake.kubeconfig(ns).replace("t0ken", "wrong"));
    await expect(
      bad.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ns }),
    ).rejects.toMatchObject({ code: 401 });
  });

  it("server-side applies with generations, managedFields and conflicts", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const ssa = (obj: k8s.KubernetesObject, manager: string, force?: boolean) =>
      objects.patch(obj, undefined, undefined, manager, force, k8s.PatchStrategy.ServerSideApply);
    const first = await ssa(deployment("web", "example.com/web:1"), "berth", true);
    expect(first.metadata?.generation).toBe(1);
    expect(first.metadata?.managedFields?.[0]?.manager).toBe("berth");
    const second = await ssa(deployment("web", "example.com/web:2"), "berth", true);
    expect(second.metadata?.generation).toBe(2);
    expect(Number(second.metadata?.resourceVersion)).toBeGreaterThan(
      Number(first.metadata?.resourceVersion),
    );
    const other = deployment("web", "example.com/web:2", 5);
    await expect(ssa(other, "kubectl")).rejects.toMatchObject({ code: 409 });
    const forced = (await ssa(other, "kubectl", true)) as k8s.V1Deployment;
    expect(forced.spec?.replicas).toBe(5);
  });

  it("rolls a Deployment out: ReplicaSet, ready pods, status and events", async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("good", "example.com/good:1"),
    });
    const d = await until(async () => {
      const x = await apps.readNamespacedDeployment({ name: "good", namespace: ns });
      return x.status?.availableReplicas === 2 && x.status.observedGeneration === 1 ? x : undefined;
    });
    expect(d.status?.conditions?.find((c) => c.type === "Progressing")?.reason).toBe(
      "NewReplicaSetAvailable",
    );
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=good" });
    expect(pods.items).toHaveLength(2);
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.imageID).toMatch(/@sha256:[0-9a-f]{64}$/);
    const podName = pods.items[0]?.metadata?.name ?? "";
    const events = await core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: `involvedObject.name=${podName}`,
    });
    expect(events.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(["Scheduled", "Pulling", "Pulled", "Created", "Started"]),
    );
    const scale = await apps.replaceNamespacedDeploymentScale({
      name: "good",
      namespace: ns,
      body: { metadata: { name: "good", namespace: ns }, spec: { replicas: 1 } },
    });
    expect(scale.spec?.replicas).toBe(1);
    await until(async () =>
      (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=good" })).items.length ===
      1
        ? true
        : undefined,
    );
    const metrics = await new k8s.Metrics(kc).getPodMetrics(ns);
    expect(metrics.items.length).toBeGreaterThan(0);
    await apps.deleteNamespacedDeployment({ name: "good", namespace: ns });
    await until(async () =>
      (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=good" })).items.length ===
      0
        ? true
        : undefined,
    );
  });

  it("crash-loops an image named so, with the previous log readable", async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("bad", "example.com/crash:1", 1),
    });
    const pod = await until(async () => {
      const p = (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=bad" }))
        .items[0];
      return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CrashLoopBackOff"
        ? p
        : undefined;
    });
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(1);
    const out = new PassThrough();
    let text = "";
    out.on("data", (b) => {
      text += b;
    });
    await new k8s.Log(kc).log(ns, pod.metadata?.name ?? "", "app", out, {
      previous: true,
      tailLines: 5,
    });
    await until(async () => (text.includes("DATABASE_URL") ? true : undefined));
    expect(text.trim().split("\n")).toHaveLength(5);
  });

  it("watches: events in order, 410 for a compacted version", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedSecret({ namespace: ns });
    const rv = list.metadata?.resourceVersion ?? "";
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const ctl = await watch.watch(
      `/api/v1/namespaces/${ns}/secrets`,
      { resourceVersion: rv },
      (type, obj) => seen.push(`${type} ${obj.metadata.name}`),
      () => {},
    );
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "s1" }, stringData: { a: "b" } },
    });
    await core.deleteNamespacedSecret({ name: "s1", namespace: ns });
    await until(async () => (seen.length === 2 ? true : undefined));
    expect(seen).toEqual(["ADDED s1", "DELETED s1"]);
    ctl.abort();
    fake.cluster.store.compact();
    const errors: number[] = [];
    await watch.watch(
      `/api/v1/namespaces/${ns}/secrets`,
      { resourceVersion: rv },
      (type, obj) => {
        if (type === "ERROR") errors.push(obj.code);
      },
      () => {},
    );
    await until(async () => (errors.length ? true : undefined));
    expect(errors).toEqual([410]);
  });

  it("answers SelfSubjectAccessReview and version", async () => {
    const review = await kc.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            verb: "patch",
            resource: "deployments",
            group: "apps",
            namespace: ns,
          },
        },
      },
    });
    expect(review.status?.allowed).toBe(true);
    const v = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(v.gitVersion).toMatch(/^v1\./);
  });
});

describe("fake pod stages", () => {
  it("holds a pod whose Secret is missing in CreateContainerConfigError, and reports failing probes", async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const noSecret = deployment("cfg", "example.com/app:1", 1);
    noSecret.spec.template.spec.containers[0] = {
      ...noSecret.spec.template.spec.containers[0],
      envFrom: [{ secretRef: { name: "absent" } }],
    } as never;
    await apps.createNamespacedDeployment({ namespace: ns, body: noSecret });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("unready", "example.com/unready:1", 1),
    });
    const waiting = await until(async () => {
      const p = (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=cfg" }))
        .items[0];
      return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
        "CreateContainerConfigError"
        ? p
        : undefined;
    });
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(
      'secret "absent" not found',
    );
    const unhealthy = await until(async () => {
      const events = await core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: "reason=Unhealthy",
      });
      return events.items[0];
    });
    expect(unhealthy.message).toMatch(/^Readiness probe failed/);
  });
});
