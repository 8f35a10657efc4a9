import { objectName, selectorOf } from "../../adapters/kubernetes/manifests.ts";
import { writeTx } from "../../db/client.ts";
import { conflict, unprocessable } from "../../domain/errors.ts";
import { clusterFor } from "./cluster.ts";
import type { ContainersDeps } from "./deps.ts";
import { containerEnvironment } from "./spec.ts";

/** Operating a running environment: scale, stop/start, rolling restart, pods, logs, usage. */
function target(deps: ContainersDeps, serviceName: string, envName: string) {
  const { service, environment } = containerEnvironment(deps, serviceName, envName);
  const { kube } = clusterFor(deps);
  return {
    kube,
    environment,
    name: objectName(service.name, environment.name),
    selector: selectorOf(service.name, environment.name),
  };
}

function activity(deps: ContainersDeps, environmentId: number, action: string, message: string) {
  writeTx(deps.db, (tx) =>
    deps.repos.environments.addEvent(tx, { environmentId, action, message }),
  );
}

async function requireDeployment(kube: ReturnType<typeof target>["kube"], name: string) {
  const d = await kube.deployment(name);
  if (!d)
    throw conflict("not_deployed", "This environment has nothing deployed on the cluster yet.");
  return d;
}

export async function scaleEnvironment(
  deps: ContainersDeps,
  s: string,
  e: string,
  replicas: unknown,
) {
  if (
    typeof replicas !== "number" ||
    !Number.isInteger(replicas) ||
    replicas < 0 ||
    replicas > 100
  ) {
    throw unprocessable("invalid_replicas", "replicas: a whole number from 0 to 100.", "replicas");
  }
  const t = target(deps, s, e);
  await requireDeployment(t.kube, t.name);
  await t.kube.scale(t.name, replicas);
  activity(deps, t.environment.id, "container.scale", `Scaled to ${replicas} replica(s).`);
  return { replicas };
}

export async function stopEnvironment(deps: ContainersDeps, s: string, e: string) {
  const t = target(deps, s, e);
  const d = await requireDeployment(t.kube, t.name);
  const replicas = d.spec?.replicas ?? 1;
  if (replicas === 0) throw conflict("already_stopped", "This environment is already stopped.");
  await t.kube.scale(t.name, 0);
  writeTx(deps.db, (tx) => {
    deps.repos.containers.setStopped(tx, t.environment.id, replicas);
    deps.repos.environments.addEvent(tx, {
      environmentId: t.environment.id,
      action: "container.stop",
      message: `Stopped (was ${replicas} replica(s)).`,
    });
  });
  return { replicas: 0, remembered: replicas };
}

export async function startEnvironment(deps: ContainersDeps, s: string, e: string) {
  const t = target(deps, s, e);
  await requireDeployment(t.kube, t.name);
  const spec = deps.repos.containers.spec(t.environment.id);
  const replicas = spec?.stoppedReplicas ?? spec?.spec.replicas ?? 1;
  await t.kube.scale(t.name, replicas);
  writeTx(deps.db, (tx) => {
    deps.repos.containers.setStopped(tx, t.environment.id, null);
    deps.repos.environments.addEvent(tx, {
      environmentId: t.environment.id,
      action: "container.start",
      message: `Started with ${replicas} replica(s).`,
    });
  });
  return { replicas };
}

export async function restartEnvironment(deps: ContainersDeps, s: string, e: string) {
  const t = target(deps, s, e);
  await requireDeployment(t.kube, t.name);
  const at = new Date();
  await t.kube.restart(t.name, at);
  activity(deps, t.environment.id, "container.restart", "Rolling restart requested.");
  return { restartedAt: at.toISOString() };
}

export async function listPods(deps: ContainersDeps, s: string, e: string) {
  const t = target(deps, s, e);
  const now = Date.now();
  return (await t.kube.pods(t.selector)).map((p) => {
    const st = p.status?.containerStatuses?.[0];
    const created = p.metadata?.creationTimestamp
      ? new Date(p.metadata.creationTimestamp).getTime()
      : now;
    return {
      name: p.metadata?.name ?? "",
      phase: p.status?.phase ?? "Unknown",
      ready: st?.ready === true,
      state:
        st?.state?.waiting?.reason ??
        (st?.state?.running ? "Running" : (st?.state?.terminated?.reason ?? "Pending")),
      restarts: st?.restartCount ?? 0,
      ageSeconds: Math.max(0, Math.round((now - created) / 1000)),
      node: p.spec?.nodeName ?? null,
      image: p.spec?.containers?.[0]?.image ?? "",
      deployment: p.metadata?.labels?.["berth.dev/deployment"] ?? null,
    };
  });
}

export type LogQuery = { tail: number; previous: boolean; pod?: string };

function parseTail(v: string | undefined): number {
  if (v === undefined || v === "") return 100;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 10_000) {
    throw unprocessable("invalid_tail", "tail: a whole number from 0 to 10000.", "tail");
  }
  return n;
}

export function logQuery(q: { tail?: string; previous?: string; pod?: string }): LogQuery {
  return { tail: parseTail(q.tail), previous: q.previous === "true", pod: q.pod || undefined };
}

async function podsFor(deps: ContainersDeps, s: string, e: string, pod?: string) {
  const t = target(deps, s, e);
  const names = (await t.kube.pods(t.selector)).map((p) => p.metadata?.name ?? "");
  if (pod && !names.includes(pod))
    throw unprocessable("unknown_pod", `pod: ${pod} is not a pod of this environment.`, "pod");
  return { kube: t.kube, names: pod ? [pod] : names };
}

/** Each pod's lines, labelled with the pod. */
export async function readLogs(deps: ContainersDeps, s: string, e: string, q: LogQuery) {
  const { kube, names } = await podsFor(deps, s, e, q.pod);
  const lines: { pod: string; line: string }[] = [];
  for (const pod of names) {
    const text = await kube.log(pod, { previous: q.previous, tail: q.tail });
    for (const line of text.split("\n")) if (line) lines.push({ pod, line });
  }
  return lines;
}

export async function followLogs(
  deps: ContainersDeps,
  s: string,
  e: string,
  q: LogQuery,
  onLine: (l: { pod: string; line: string }) => void,
  signal: AbortSignal,
) {
  const { kube, names } = await podsFor(deps, s, e, q.pod);
  await Promise.all(
    names.map((pod) =>
      kube.followLog(pod, q.tail, (line) => onLine({ pod, line }), signal).catch(() => {}),
    ),
  );
}

export async function usage(deps: ContainersDeps, s: string, e: string) {
  const t = target(deps, s, e);
  const pods = await t.kube.usage(t.selector);
  return pods === null
    ? { available: false, message: "metrics-server is not installed", pods: [] }
    : { available: true, message: null, pods };
}
