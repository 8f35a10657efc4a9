import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Db } from "./client.ts";

// the worker's whole program: its own connection, a passive checkpoint every `everyMs`
const program = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
const timer = setInterval(() => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch (err) { parentPort.postMessage(String(err)); }
}, workerData.everyMs);
parentPort.on("message", () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

/**
 * Moves WAL checkpoints off the event loop. SQLite otherwise checkpoints inside whichever
 * commit crosses 1,000 pages, and that commit waits for the database file's fsync: under a
 * steady stream of writes (error reports) those stalls were most of the event-loop delay.
 * A worker thread checkpoints every second instead; the main connection keeps a far
 * threshold (20,000 pages) as a fallback should the worker ever stop.
 */
export function startCheckpointer(
  db: Db,
  file: string,
  opts: { everyMs?: number; onError?: (message: string) => void } = {},
): () => Promise<void> {
  db.$client.pragma("wal_autocheckpoint = 20000");
  const worker = new Worker(program, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve("better-sqlite3"),
      file,
      everyMs: opts.everyMs ?? 1000,
    },
  });
  worker.unref();
  worker.on("message", (m: string) => opts.onError?.(m));
  worker.on("error", (err) => opts.onError?.(String(err)));
  return async () => {
    worker.postMessage("stop");
    await new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      setTimeout(resolve, 2000).unref();
    });
    db.$client.pragma("wal_autocheckpoint = 1000");
  };
}
