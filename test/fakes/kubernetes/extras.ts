// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
import type { IncomingMessage, ServerResponse } from "node:http";
import { recordUpdate } from "./apply.ts";
import type { Cluster } from "./cluster.ts";
import { fail, json, readBody } from "./respond.ts";

/** GET pods/{name}/log: container, previous, tailLines, timestamps, follow. */
export function serveLog(
  c: Cluster,
  res: ServerResponse,
  ns: string,
  name: string,
  q: URLSearchParams,
) {
  const pod = c.store.get("pods", ns, name);
  if (!pod) return fail(res, 404, `pods "${name}" not found`);
  const container = q.get("container") ?? pod.spec.containers?.[0]?.name ?? "app";
  const logs = c.podLogs(ns, name, container);
  const previous = q.get("previous") === "true";
  const status = pod.status?.containerStatuses?.find((s: any) => s.name === container);
  if (previous && !status?.lastState?.terminated) {
    return fail(
      res,
      400,
      `previous terminated container "${container}" in pod "${name}" not found`,
    );
  }
  if (
    !previous &&
    !status?.state?.running &&
    !status?.state?.terminated &&
    logs.current.length === 0
  ) {
    const reason = status?.state?.waiting?.reason ?? "ContainerCreating";
    return fail(
      res,
      400,
      `container "${container}" in pod "${name}" is waiting to start: ${reason}`,
    );
  }
  const stamps = q.get("timestamps") === "true";
  const show = (l: string) => (stamps ? l : l.slice(l.indexOf(" ") + 1));
  const tail = q.get("tailLines");
  let lines = previous ? logs.previous : logs.current;
  if (tail !== null) lines = lines.slice(-Math.max(0, Number(tail)) || lines.length);
  if (tail === "0") lines = [];
  res.writeHead(200, { "content-type": "text/plain", "transfer-encoding": "chunked" });
  res.flushHeaders();
  for (const l of lines) res.write(`${show(l)}\n`);
  if (previous || q.get("follow") !== "true") {
    res.end();
    return;
  }
  const follow = (l: string) => res.write(`${show(l)}\n`);
  logs.follow.add(follow);
  const gone = (e: any) => {
    if (
      e.resource === "pods" &&
      e.type === "DELETED" &&
      e.object.metadata.uid === pod.metadata.uid
    ) {
      res.end();
    }
  };
  c.store.listeners.add(gone);
  res.on("close", () => {
    logs.follow.delete(follow);
    c.store.listeners.delete(gone);
  });
}

/** deployments/{name}/scale: an autoscaling/v1 Scale over spec.replicas. */
export async function serveScale(
  c: Cluster,
  req: IncomingMessage,
  res: ServerResponse,
  ns: string,
  name: string,
  q: URLSearchParams,
) {
  const d = c.store.get("deployments", ns, name);
  if (!d) return fail(res, 404, `deployments.apps "${name}" not found`);
  const scale = (x: any) => ({
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name,
      namespace: ns,
      uid: x.metadata.uid,
      resourceVersion: x.metadata.resourceVersion,
      creationTimestamp: x.metadata.creationTimestamp,
    },
    spec: { replicas: x.spec.replicas ?? 1 },
    status: {
      replicas: x.status?.replicas ?? 0,
      selector: Object.entries(x.spec.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    },
  });
  if (req.method === "GET") return json(res, 200, scale(d));
  if (req.method !== "PUT" && req.method !== "PATCH") return fail(res, 405, "not allowed");
  const body = JSON.parse((await readBody(req)) || "{}");
  if (
    req.method === "PUT" &&
    body.metadata?.resourceVersion &&
    body.metadata.resourceVersion !== d.metadata.resourceVersion
  ) {
    return fail(
      res,
      409,
      `Operation cannot be fulfilled on deployments.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  }
  const replicas = body.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    return fail(
      res,
      422,
      `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`,
    );
  }
  const manager =
    q.get("fieldManager") ?? (req.headers["user-agent"] ?? "unknown").split("/")[0] ?? "unknown";
  const next = c.update("deployments", d, (x) => {
    x.spec.replicas = replicas;
    if (replicas !== d.spec.replicas) x.metadata.generation = (x.metadata.generation ?? 1) + 1;
  });
  recordUpdate(d, next, c.ownership(d.metadata.uid), manager);
  return json(res, 200, scale(next));
}

/** SelfSubjectAccessReview: allowed unless the fake was told to deny the verb/resource. */
export async function serveAccessReview(c: Cluster, req: IncomingMessage, res: ServerResponse) {
  const body = JSON.parse((await readBody(req)) || "{}");
  const attrs = body.spec?.resourceAttributes ?? {};
  const denied = (c.opts.deny ?? []).includes(`${attrs.verb} ${attrs.resource}`);
  return json(res, 201, {
    kind: "SelfSubjectAccessReview",
    apiVersion: "authorization.k8s.io/v1",
    metadata: { creationTimestamp: null },
    spec: body.spec,
    status: denied
      ? { allowed: false, reason: `RBAC: no rule allows ${attrs.verb} on ${attrs.resource}` }
      : { allowed: true, reason: 'RBAC: allowed by RoleBinding "berth"' },
  });
}

/** metrics.k8s.io PodMetrics for running pods; 404 when metrics-server is "not installed". */
export function serveMetrics(
  c: Cluster,
  res: ServerResponse,
  ns: string,
  name: string | undefined,
) {
  if (!c.opts.metrics) return fail(res, 404, "the server could not find the requested resource");
  const item = (p: any) => ({
    metadata: {
      name: p.metadata.name,
      namespace: ns,
      labels: p.metadata.labels,
      creationTimestamp: new Date().toISOString(),
    },
    timestamp: new Date().toISOString(),
    window: "15s",
    containers: (p.spec.containers ?? []).map((ctr: any, i: number) => ({
      name: ctr.name,
      usage: {
        cpu: `${(p.metadata.name.length * 13 + i) % 200}m`,
        memory: `${20 + (p.metadata.name.length % 40)}Mi`,
      },
    })),
  });
  const running = c.store.list("pods", ns).filter((p) => p.status?.phase === "Running");
  if (name) {
    const p = running.find((x) => x.metadata.name === name);
    return p
      ? json(res, 200, { kind: "PodMetrics", apiVersion: "metrics.k8s.io/v1beta1", ...item(p) })
      : fail(res, 404, `podmetrics.metrics.k8s.io "${name}" not found`);
  }
  return json(res, 200, {
    kind: "PodMetricsList",
    apiVersion: "metrics.k8s.io/v1beta1",
    metadata: {},
    items: running.map(item),
  });
}
