import type { Db } from "../../db/client.ts";
import { writeTx } from "../../db/client.ts";
import type { LogLevel } from "../../domain/releases/deployment.ts";
import type { LogLine } from "../../domain/releases/types.ts";
import type { Needs } from "./deps.ts";

export type Note = (step: string, message: string, level?: LogLevel) => void;

/**
 * One write transaction for a deployment: state changes plus release-log lines, committed
 * together. Lines reach live viewers only after the commit, so nobody sees what was undone.
 */
export function journal<T>(
  deps: Needs<"db" | "logBus", "deployments">,
  deploymentId: string,
  fn: (tx: Db, note: Note) => T,
): T {
  const lines: LogLine[] = [];
  const result = writeTx(deps.db, (tx) =>
    fn(tx, (step, message, level = "info") => {
      lines.push(deps.repos.deployments.appendLog(tx, { deploymentId, step, level, message }));
    }),
  );
  for (const line of lines) deps.logBus.publish(deploymentId, { type: "line", line });
  return result;
}
