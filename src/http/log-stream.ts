import type { SSEStreamingApi } from "hono/streaming";
import { type DeploymentStatus, TERMINAL } from "../domain/releases/deployment.ts";
import type { LogLine } from "../domain/releases/types.ts";
import type { Deps } from "../services/core/deps.ts";
import { BUILD_TERMINAL, type Build, type BuildLogLine } from "./builds/present.ts";

// a missed wake-up (or a line stored by another process) is picked up by this re-read
const REREAD_MS = 15_000;

/** Something with a stored, ordered log and a status that ends: a deployment, a build. */
type Followed<S extends string, L extends { id: number }> = {
  /** The current status; undefined once the subject is deleted. */
  status(): S | undefined;
  lines(afterId: number): L[];
  /** Calls `wake` when there may be something new; returns the unsubscribe. */
  subscribe(wake: () => void): () => void;
  terminal: ReadonlySet<S>;
};

/**
 * Sends the stored log lines after `afterId` through `send`, then keeps following until
 * the subject reaches a terminal state or the client goes away. The database is the
 * record: the bus only says "look again". Resolves with the final status ("gone" if the
 * subject was deleted meanwhile).
 */
async function follow<S extends string, L extends { id: number }>(
  stream: SSEStreamingApi,
  subject: Followed<S, L>,
  afterId: number,
  send: (line: L) => Promise<void>,
): Promise<S | "gone"> {
  let lastId = afterId;
  let aborted = false;
  let wake: () => void = () => undefined;
  const unsubscribe = subject.subscribe(() => wake());
  stream.onAbort(() => {
    aborted = true;
    wake();
  });
  try {
    for (;;) {
      // status first: lines written with the final transition are then read below
      const now = subject.status();
      if (aborted) return now ?? "gone";
      for (const line of subject.lines(lastId)) {
        lastId = line.id;
        await send(line);
      }
      if (now === undefined) return "gone";
      if (subject.terminal.has(now)) return now;
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

/** Follows a deployment's release log (see `follow`). */
export function followLog(
  stream: SSEStreamingApi,
  deps: Deps,
  deploymentId: string,
  afterId: number,
  send: (line: LogLine) => Promise<void>,
): Promise<DeploymentStatus | "gone"> {
  const { deployments } = deps.repos;
  return follow(
    stream,
    {
      status: () => deployments.byId(deploymentId)?.status,
      lines: (after) => deployments.logs(deploymentId, after),
      subscribe: (wake) => deps.logBus.subscribe(deploymentId, wake),
      terminal: TERMINAL,
    },
    afterId,
    send,
  );
}

/** Follows a build's log (see `follow`). */
export function followBuildLog(
  stream: SSEStreamingApi,
  deps: Deps,
  buildId: string,
  afterId: number,
  send: (line: BuildLogLine) => Promise<void>,
): Promise<Build["status"] | "gone"> {
  const { builds } = deps.repos;
  return follow(
    stream,
    {
      status: () => builds.byId(buildId)?.status,
      lines: (after) => builds.logs(buildId, after),
      subscribe: (wake) => deps.buildBus.subscribe(buildId, wake),
      terminal: BUILD_TERMINAL,
    },
    afterId,
    send,
  );
}
