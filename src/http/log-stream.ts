import type { SSEStreamingApi } from "hono/streaming";
import { type DeploymentStatus, TERMINAL } from "../domain/deployment.ts";
import type { LogLine } from "../domain/types.ts";
import type { Deps } from "../services/deps.ts";

// a missed wake-up (or a line stored by another process) is picked up by this re-read
const REREAD_MS = 15_000;

/**
 * Sends a deployment's stored log lines after `afterId` through `send`, then keeps
 * following until the deployment reaches a terminal state or the client goes away.
 * The database is the record: the log bus only says "look again". Resolves with the
 * final status ("gone" if the deployment was deleted meanwhile).
 */
export async function followLog(
  stream: SSEStreamingApi,
  deps: Deps,
  deploymentId: string,
  afterId: number,
  send: (line: LogLine) => Promise<void>,
): Promise<DeploymentStatus | "gone"> {
  let lastId = afterId;
  let aborted = false;
  let wake: () => void = () => undefined;
  const unsubscribe = deps.logBus.subscribe(deploymentId, () => wake());
  stream.onAbort(() => {
    aborted = true;
    wake();
  });
  try {
    for (;;) {
      // status first: lines written with the final transition are then read below
      const now = deps.repos.deployments.byId(deploymentId);
      if (aborted) return now?.status ?? "gone";
      for (const line of deps.repos.deployments.logs(deploymentId, lastId)) {
        lastId = line.id;
        await send(line);
      }
      if (!now) return "gone";
      if (TERMINAL.has(now.status)) return now.status;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, REREAD_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    unsubscribe();
  }
}
