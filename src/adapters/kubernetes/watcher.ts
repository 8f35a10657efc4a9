import { type KubeConfig, Watch } from "@kubernetes/client-node";
import { httpStatusOf } from "./errors.ts";

export type KubeObject = {
  kind?: string;
  metadata?: { name?: string; uid?: string; resourceVersion?: string };
  [k: string]: unknown;
};
export type WatchType = "ADDED" | "MODIFIED" | "DELETED";
export type Listed = { items: KubeObject[]; metadata?: { resourceVersion?: string } };

export type Watcher = { stop: () => void; readonly resourceVersion: string };

/**
 * A watch that does not end: list, then watch from the list's resourceVersion; when the
 * stream ends (server closed it, network dropped, the client's inactivity timer fired),
 * reconnect from the last version seen (bookmarks included); on 410 Gone, list again
 * and replay the current objects as ADDED. The same contract as makeInformer's
 * (client-node src/cache.ts), without its cache.
 */
export function watchForever(
  kc: KubeConfig,
  path: string,
  query: { labelSelector?: string; fieldSelector?: string },
  list: () => Promise<Listed>,
  onEvent: (type: WatchType, obj: KubeObject) => void,
  onError: (err: unknown) => void = () => {},
): Watcher {
  const watch = new Watch(kc);
  let rv = "";
  let stopped = false;
  let abort: AbortController | null = null;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;

  const again = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => void run(), delay);
  };

  const run = async () => {
    if (stopped) return;
    try {
      if (!rv) {
        const listed = await list();
        rv = listed.metadata?.resourceVersion ?? "";
        for (const item of listed.items) onEvent("ADDED", item);
      }
      abort = await watch.watch(
        path,
        { ...query, resourceVersion: rv, allowWatchBookmarks: true },
        (type: string, obj: KubeObject & { code?: number }) => {
          if (type === "ERROR") {
            if (obj.code === 410) rv = "";
            return;
          }
          const next = obj.metadata?.resourceVersion;
          if (next) rv = next;
          if (type === "BOOKMARK") return;
          failures = 0;
          onEvent(type as WatchType, obj);
        },
        (err: unknown) => {
          abort = null;
          if (stopped) return;
          if (err && httpStatusOf(err) === 410) rv = "";
          if (err && (err as Error).name !== "TimeoutError") {
            failures += 1;
            onError(err);
          }
          again(failures === 0 ? 0 : Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
        },
      );
    } catch (err) {
      failures += 1;
      onError(err);
      again(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
    }
  };
  void run();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort?.abort();
    },
    get resourceVersion() {
      return rv;
    },
  };
}
