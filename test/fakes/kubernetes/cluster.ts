// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
import { randomBytes } from "node:crypto";
import type { Ownership } from "./apply.ts";
import { Store } from "./store.ts";

export type FakeOptions = {
  /** Bearer token every request must carry; none means no authentication. */
  token?: string;
  /** Controller period (default 20 ms). */
  tickMs?: number;
  /** Time a pod spends in each lifecycle stage (default 40 ms). */
  stageMs?: number;
  /** Crash-loop and image-pull back-off (default 150 ms). */
  backoffMs?: number;
  /** Bookmark period for watches that allow them (default 1,000 ms). */
  bookmarkMs?: number;
  /** Close each watch stream after a random time around this (none: never). */
  disconnectMeanMs?: number;
  /** metrics-server installed (default true). */
  metrics?: boolean;
  /** "verb resource" pairs that SelfSubjectAccessReview denies, e.g. "create deployments". */
  deny?: string[];
};

type Logs = { current: string[]; previous: string[]; follow: Set<(line: string) => void> };

/** The fake cluster's state: the store plus what a kubelet and apiserver keep beside it. */
export class Cluster {
  readonly store = new Store();
  readonly owners = new Map<string, Ownership>();
  readonly logs = new Map<string, Logs>();
  readonly opts: Required<Omit<FakeOptions, "token" | "disconnectMeanMs">> & FakeOptions;
  /** Every request received: method and path, for counting API calls. */
  readonly requests: { method: string; path: string; watch: boolean }[] = [];

  constructor(opts: FakeOptions = {}) {
    this.opts = {
      tickMs: 20,
      stageMs: 40,
      backoffMs: 150,
      bookmarkMs: 1000,
      metrics: true,
      deny: [],
      ...opts,
    };
  }

  ownership(uid: string): Ownership {
    let o = this.owners.get(uid);
    if (!o) {
      o = new Map();
      this.owners.set(uid, o);
    }
    return o;
  }

  podLogs(ns: string, pod: string, container: string): Logs {
    const k = `${ns}/${pod}/${container}`;
    let l = this.logs.get(k);
    if (!l) {
      l = { current: [], previous: [], follow: new Set() };
      this.logs.set(k, l);
    }
    return l;
  }

  writeLog(ns: string, pod: string, container: string, line: string): void {
    const l = this.podLogs(ns, pod, container);
    const stamped = `${new Date().toISOString()} ${line}`;
    l.current.push(stamped);
    for (const f of l.follow) f(stamped);
  }

  /** A container restarted: its log becomes the previous one. */
  rotateLog(ns: string, pod: string, container: string): void {
    const l = this.podLogs(ns, pod, container);
    l.previous = l.current;
    l.current = [];
  }

  /** Records a core/v1 Event, folding repeats into a count as the kubelet does. */
  event(obj: any, type: "Normal" | "Warning", reason: string, message: string, component: string) {
    const ns = obj.metadata.namespace ?? "default";
    const now = new Date().toISOString();
    const same = this.store
      .list("events", ns)
      .find(
        (e) =>
          e.involvedObject.uid === obj.metadata.uid && e.reason === reason && e.message === message,
      );
    if (same) {
      const next = structuredClone(same);
      next.count = (next.count ?? 1) + 1;
      next.lastTimestamp = now;
      this.store.put("events", next);
      return;
    }
    this.store.put("events", {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${obj.metadata.name}.${randomBytes(8).toString("hex")}`, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: ns,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component, host: component === "kubelet" ? "fake-node-1" : undefined },
    });
  }

  /** Writes a changed copy only when it differs, so idle controllers emit no events. */
  update(resource: string, before: any, mutate: (o: any) => void): any {
    const next = structuredClone(before);
    mutate(next);
    if (JSON.stringify(next) === JSON.stringify(before)) return before;
    return this.store.put(resource, next);
  }
}
