// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
import type { ServerResponse } from "node:http";
import type { Cluster } from "./cluster.ts";
import type { ResourceDef } from "./discovery.ts";
import { matcher } from "./selectors.ts";
import type { WatchEvent } from "./store.ts";

/** The open watch streams, so a test can cut them all at once. */
export const openWatches = new WeakMap<Cluster, Set<ServerResponse>>();

export function gone(rv: string, compacted: number) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `too old resource version: ${rv} (${compacted})`,
    reason: "Expired",
    code: 410,
  };
}

/**
 * A watch as the API server serves it: newline-delimited {type, object} events after
 * the given resourceVersion (replayed from history), an ERROR event with a 410 Status when
 * that version is compacted away, BOOKMARKs when allowed, and the end of the stream after
 * timeoutSeconds or, when the fake is told to, at a random moment.
 */
export function serveWatch(
  c: Cluster,
  res: ServerResponse,
  def: ResourceDef,
  ns: string | undefined,
  q: URLSearchParams,
): void {
  const rv = q.get("resourceVersion");
  const match = matcher(q.get("labelSelector"), q.get("fieldSelector"));
  res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
  res.flushHeaders();
  const send = (type: string, object: any) => res.write(`${JSON.stringify({ type, object })}\n`);
  if (rv && rv !== "0" && Number(rv) <= c.store.compactedThrough) {
    send("ERROR", gone(rv, c.store.compactedThrough));
    res.end();
    return;
  }
  const inScope = (e: WatchEvent) =>
    e.resource === def.name &&
    (ns === undefined || e.object.metadata.namespace === ns) &&
    match(e.object);
  if (!rv || rv === "0") {
    for (const o of c.store.list(def.name, ns)) if (match(o)) send("ADDED", o);
  } else {
    for (const e of c.store.history) {
      if (e.rv > Number(rv) && inScope(e)) send(e.type, e.object);
    }
  }
  const listener = (e: WatchEvent) => {
    if (inScope(e)) send(e.type, e.object);
  };
  c.store.listeners.add(listener);
  let set = openWatches.get(c);
  if (!set) {
    set = new Set();
    openWatches.set(c, set);
  }
  set.add(res);
  const timers: NodeJS.Timeout[] = [];
  if (q.get("allowWatchBookmarks") === "true") {
    timers.push(
      setInterval(() => {
        send("BOOKMARK", {
          kind: def.kind,
          apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
          metadata: { resourceVersion: String(c.store.rv) },
        });
      }, c.opts.bookmarkMs),
    );
  }
  const timeout = Number(q.get("timeoutSeconds") ?? 0);
  if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
  const mean = c.opts.disconnectMeanMs;
  if (mean) {
    timers.push(
      setTimeout(
        () => {
          // half end cleanly, half drop the connection mid-stream
          if (Math.random() < 0.5) res.end();
          else res.socket?.destroy();
        },
        Math.random() * 2 * mean,
      ),
    );
  }
  const cleanup = () => {
    for (const t of timers) clearTimeout(t);
    c.store.listeners.delete(listener);
    set.delete(res);
  };
  res.on("close", cleanup);
  res.on("finish", cleanup);
}
