import { PassThrough } from "node:stream";
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  Log,
  Metrics,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
  VersionApi,
} from "@kubernetes/client-node";
import { clusterError, httpStatusOf } from "./errors.ts";
import type { Manifest } from "./manifests.ts";
import {
  type KubeObject,
  type Listed,
  type Watcher,
  type WatchType,
  watchForever,
} from "./watcher.ts";

export type KubeConnection = {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  inCluster?: boolean;
};

export type PodUsage = { pod: string; cpu: string; memory: string };

/** The small surface Berth uses of a cluster; errors are domain errors (502s). */
export type Kube = {
  namespace: string;
  version(): Promise<string>;
  canI(verb: string, resource: string, group: string): Promise<boolean>;
  ensureNamespace(): Promise<"exists" | "created">;
  apply(objects: Manifest[]): Promise<void>;
  deployment(name: string): Promise<V1Deployment | null>;
  pods(selector: string): Promise<V1Pod[]>;
  /** The events of one pod, as listed now (a watch may deliver them later). */
  podEvents(pod: string): Promise<KubeObject[]>;
  log(pod: string, opts: { previous?: boolean; tail?: number }): Promise<string>;
  followLog(
    pod: string,
    tail: number,
    onLine: (line: string) => void,
    signal: AbortSignal,
  ): Promise<void>;
  scale(name: string, replicas: number): Promise<void>;
  restart(name: string, at: Date): Promise<void>;
  deleteAll(selector: string): Promise<void>;
  /** null when metrics-server is not installed. */
  usage(selector: string): Promise<PodUsage[] | null>;
  watch(
    what: "pods" | "events" | "deployments" | "replicasets",
    query: { labelSelector?: string; fieldSelector?: string },
    onEvent: (type: WatchType, obj: KubeObject) => void,
  ): Watcher;
};

export const FIELD_MANAGER = "berth";

export function kubeConfigOf(conn: KubeConnection): KubeConfig {
  const kc = new KubeConfig();
  if (conn.inCluster) kc.loadFromCluster();
  else kc.loadFromString(conn.kubeconfig ?? "");
  if (conn.context) kc.setCurrentContext(conn.context);
  if (!kc.getCurrentCluster()) throw new Error("the kubeconfig names no cluster for its context");
  return kc;
}

export function connect(conn: KubeConnection): Kube {
  const kc = kubeConfigOf(conn);
  const namespace = conn.namespace || "berth";
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const wrap = async <T>(doing: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw clusterError(err, doing);
    }
  };
  const lists: Record<
    string,
    (q: { labelSelector?: string; fieldSelector?: string }) => Promise<Listed>
  > = {
    pods: (q) => core.listNamespacedPod({ namespace, ...q }) as unknown as Promise<Listed>,
    events: (q) => core.listNamespacedEvent({ namespace, ...q }) as unknown as Promise<Listed>,
    deployments: (q) =>
      apps.listNamespacedDeployment({ namespace, ...q }) as unknown as Promise<Listed>,
    replicasets: (q) =>
      apps.listNamespacedReplicaSet({ namespace, ...q }) as unknown as Promise<Listed>,
  };
  const paths: Record<string, string> = {
    pods: `/api/v1/namespaces/${namespace}/pods`,
    events: `/api/v1/namespaces/${namespace}/events`,
    deployments: `/apis/apps/v1/namespaces/${namespace}/deployments`,
    replicasets: `/apis/apps/v1/namespaces/${namespace}/replicasets`,
  };

  return {
    namespace,
    version: () =>
      wrap(
        "reading the server version",
        async () => (await kc.makeApiClient(VersionApi).getCode()).gitVersion,
      ),
    canI: (verb, resource, group) =>
      wrap("reviewing access", async () => {
        const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: { verb, resource, group, namespace } } },
        });
        return review.status?.allowed === true;
      }),
    ensureNamespace: () =>
      wrap(`creating namespace ${namespace}`, async () => {
        try {
          await core.readNamespace({ name: namespace });
          return "exists" as const;
        } catch (err) {
          if (httpStatusOf(err) !== 404) throw err;
        }
        await core.createNamespace({
          body: {
            metadata: { name: namespace, labels: { "app.kubernetes.io/managed-by": "berth" } },
          },
        });
        return "created" as const;
      }),
    apply: (list) =>
      wrap("applying objects", async () => {
        for (const obj of list) {
          await objects.patch(
            obj as KubernetesObject,
            undefined,
            undefined,
            FIELD_MANAGER,
            true,
            PatchStrategy.ServerSideApply,
          );
        }
      }),
    deployment: (name) =>
      wrap("reading the Deployment", async () => {
        try {
          return await apps.readNamespacedDeployment({ name, namespace });
        } catch (err) {
          if (httpStatusOf(err) === 404) return null;
          throw err;
        }
      }),
    pods: (labelSelector) =>
      wrap(
        "listing pods",
        async () => (await core.listNamespacedPod({ namespace, labelSelector })).items,
      ),
    podEvents: (pod) =>
      wrap(
        "listing a pod's events",
        async () =>
          (
            await core.listNamespacedEvent({
              namespace,
              fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod}`,
            })
          ).items as unknown as KubeObject[],
      ),
    log: (name, opts) =>
      wrap("reading a pod log", async () => {
        try {
          return await core.readNamespacedPodLog({
            name,
            namespace,
            container: "app",
            previous: opts.previous ?? false,
            tailLines: opts.tail,
          });
        } catch (err) {
          if (httpStatusOf(err) === 400) return "";
          throw err;
        }
      }),
    followLog: (name, tail, onLine, signal) =>
      wrap("following a pod log", async () => {
        const out = new PassThrough();
        // the client pipes the response into `out` with no error handler on its side:
        // aborting would otherwise be an unhandled 'error' that ends the process
        out.on("pipe", (source) => source.on("error", () => out.end()));
        let rest = "";
        out.on("data", (chunk: Buffer) => {
          rest += chunk.toString("utf8");
          const lines = rest.split("\n");
          rest = lines.pop() ?? "";
          for (const l of lines) onLine(l);
        });
        const ctl = await new Log(kc).log(namespace, name, "app", out, {
          follow: true,
          tailLines: tail,
        });
        signal.addEventListener("abort", () => ctl.abort(), { once: true });
        await new Promise<void>((resolve) => {
          out.on("end", resolve);
          out.on("close", resolve);
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
      }),
    scale: (name, replicas) =>
      wrap("scaling", async () => {
        await apps.replaceNamespacedDeploymentScale({
          name,
          namespace,
          fieldManager: FIELD_MANAGER,
          body: { metadata: { name, namespace }, spec: { replicas } },
        });
      }),
    restart: (name, at) =>
      wrap("restarting", async () => {
        const body = {
          spec: {
            template: {
              metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": at.toISOString() } },
            },
          },
        };
        await apps.patchNamespacedDeployment(
          { name, namespace, body, fieldManager: "berth-restart" },
          setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
        );
      }),
    deleteAll: (labelSelector) =>
      wrap("deleting objects", async () => {
        const del = async (
          items: { metadata?: { name?: string } }[],
          fn: (name: string) => Promise<unknown>,
        ) => {
          for (const i of items) if (i.metadata?.name) await fn(i.metadata.name);
        };
        await del(
          (await apps.listNamespacedDeployment({ namespace, labelSelector })).items,
          (name) =>
            apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: "Background" }),
        );
        await del((await net.listNamespacedIngress({ namespace, labelSelector })).items, (name) =>
          net.deleteNamespacedIngress({ name, namespace }),
        );
        await del((await core.listNamespacedService({ namespace, labelSelector })).items, (name) =>
          core.deleteNamespacedService({ name, namespace }),
        );
        await del((await core.listNamespacedSecret({ namespace, labelSelector })).items, (name) =>
          core.deleteNamespacedSecret({ name, namespace }),
        );
      }),
    usage: (selector) =>
      wrap("reading metrics", async () => {
        const want = Object.fromEntries(
          selector.split(",").map((kv) => kv.split("=") as [string, string]),
        );
        try {
          const list = await new Metrics(kc).getPodMetrics(namespace);
          return list.items
            .filter((m) =>
              Object.entries(want).every(
                ([k, v]) => (m.metadata as { labels?: Record<string, string> }).labels?.[k] === v,
              ),
            )
            .map((m) => ({
              pod: m.metadata.name,
              cpu: m.containers[0]?.usage.cpu ?? "0",
              memory: m.containers[0]?.usage.memory ?? "0",
            }));
        } catch (err) {
          if (httpStatusOf(err) === 404 || /404|not found/i.test(String((err as Error).message)))
            return null;
          throw err;
        }
      }),
    watch: (what, query, onEvent) =>
      watchForever(
        kc,
        paths[what] as string,
        query,
        () => (lists[what] as (q: typeof query) => Promise<Listed>)(query),
        onEvent,
      ),
  };
}
