// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
import { randomUUID } from "node:crypto";

export type WatchEvent = {
  type: "ADDED" | "MODIFIED" | "DELETED";
  resource: string;
  object: any;
  rv: number;
};

/**
 * The fake's etcd: objects by resource/namespace/name, one global resourceVersion, and a
 * bounded history of changes that watches replay from. Compaction forgets history, so a
 * watch from an older version gets 410 Gone, as from a real API server.
 */
export class Store {
  rv = 1;
  /** Versions at or below this one are compacted away. */
  compactedThrough = 0;
  readonly objects = new Map<string, any>();
  readonly history: WatchEvent[] = [];
  readonly listeners = new Set<(e: WatchEvent) => void>();
  historyLimit = 50_000;

  key(resource: string, ns: string | undefined, name: string): string {
    return `${resource}/${ns ?? ""}/${name}`;
  }

  get(resource: string, ns: string | undefined, name: string): any {
    return this.objects.get(this.key(resource, ns, name));
  }

  list(resource: string, ns?: string): any[] {
    const out: any[] = [];
    for (const [k, v] of this.objects) {
      if (!k.startsWith(`${resource}/`)) continue;
      if (ns !== undefined && v.metadata.namespace !== ns) continue;
      out.push(v);
    }
    return out;
  }

  byUid(uid: string): any {
    for (const v of this.objects.values()) if (v.metadata.uid === uid) return v;
    return undefined;
  }

  /** Creates or replaces an object, stamping uid, creationTimestamp and resourceVersion. */
  put(resource: string, obj: any): any {
    const k = this.key(resource, obj.metadata.namespace, obj.metadata.name);
    const existed = this.objects.has(k);
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= new Date().toISOString();
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    this.objects.set(k, obj);
    this.emit({ type: existed ? "MODIFIED" : "ADDED", resource, object: obj, rv: this.rv });
    return obj;
  }

  remove(resource: string, ns: string | undefined, name: string): any {
    const k = this.key(resource, ns, name);
    const obj = this.objects.get(k);
    if (!obj) return undefined;
    this.objects.delete(k);
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    this.emit({ type: "DELETED", resource, object: obj, rv: this.rv });
    return obj;
  }

  /** Forgets all history: every version before now is too old to watch from. */
  compact(): void {
    this.compactedThrough = this.rv;
    this.history.length = 0;
  }

  private emit(e: WatchEvent): void {
    // a snapshot: later changes to the object must not rewrite what was sent
    const event = { ...e, object: structuredClone(e.object) };
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedThrough = dropped.at(-1)?.rv ?? this.compactedThrough;
    }
    for (const l of this.listeners) l(event);
  }
}
