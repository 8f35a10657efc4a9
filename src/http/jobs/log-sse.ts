import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { RUN_TERMINAL, type RunStatus } from "../../domain/jobs/jobs.ts";
import type { Deps } from "../../services/core/deps.ts";
import type { RunEvent } from "../../services/jobs/context.ts";
import { readSlice } from "../../services/jobs/output-log.ts";
import { runDir } from "../../services/jobs/runs.ts";
import type { Env } from "../context.ts";

const START_BYTES = 64 * 1024;
/** At most this much is replayed to a client that reconnects. */
const RESUME_BYTES = 1024 * 1024;
/** Past this many unsent events a slow viewer skips ahead (the stored log keeps all). */
const BACKLOG = 5000;
const REREAD_MS = 15_000;

/**
 * Live output over SSE: the newest stored output first (at most 64 KiB, so a huge log
 * costs the same as a small one), then each chunk as it comes (`output`, its id the
 * byte offset after it), status changes (`status`), and `end` once the run has ended.
 * With Last-Event-ID (or ?after=) a running run's output continues from that offset.
 */
export function streamRunLog(c: Context<Env>, deps: Deps, id: string): Response {
  return streamSSE(c, async (stream) => {
    let queue: RunEvent[] = [];
    let skipped = 0;
    let wake: () => void = () => undefined;
    let aborted = false;
    const unsubscribe = deps.jobs.bus.subscribe(id, (e) => {
      if (queue.length >= BACKLOG) {
        skipped++;
        return;
      }
      queue.push(e);
      wake();
    });
    stream.onAbort(() => {
      aborted = true;
      wake();
    });
    try {
      const live = deps.jobs.live.get(id);
      // a reconnecting client (Last-Event-ID, or ?after=) continues where it stopped
      const resume = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? Number.NaN);
      const from = Number.isSafeInteger(resume) && resume >= 0 ? resume : null;
      const first = live
        ? from === null
          ? live.log.recent(START_BYTES)
          : live.log.since(from, RESUME_BYTES)
        : from === null
          ? readSlice(runDir(deps, id), -START_BYTES, START_BYTES).chunks
          : [];
      let upTo = from ?? 0;
      for (const ch of first) {
        upTo = ch.offset + Buffer.byteLength(ch.text);
        await stream.writeSSE({ event: "output", id: String(upTo), data: JSON.stringify(ch) });
      }
      for (;;) {
        const status = deps.jobs.repos.runs.byId(id)?.status as RunStatus | undefined;
        const batch = queue;
        queue = [];
        if (skipped > 0) {
          await stream.writeSSE({ event: "skipped", data: JSON.stringify({ events: skipped }) });
          skipped = 0;
        }
        for (const e of batch) {
          if (e.type === "output") {
            if (live && e.offset < upTo) continue;
            const { bytes, ...rest } = e;
            await stream.writeSSE({
              event: "output",
              id: String(e.offset + bytes.length),
              data: JSON.stringify({ ...rest, text: bytes.toString("utf8") }),
            });
          } else await stream.writeSSE({ event: "status", data: JSON.stringify(e) });
        }
        if (aborted) return;
        if (!status || (RUN_TERMINAL.has(status) && queue.length === 0)) {
          await stream.writeSSE({
            event: "end",
            data: JSON.stringify({ status: status ?? "gone" }),
          });
          return;
        }
        if (queue.length === 0)
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, REREAD_MS);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
      }
    } finally {
      unsubscribe();
    }
  });
}
