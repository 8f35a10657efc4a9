import { EventEmitter } from "node:events";
import type { DeploymentStatus } from "../domain/deployment.ts";
import type { LogLine } from "../domain/types.ts";

export type LogEvent =
  | { type: "line"; line: LogLine }
  | { type: "status"; status: DeploymentStatus; final: boolean };

/** In-process fan-out of release-log lines to live viewers (SSE). The database is the record. */
export function createLogBus() {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(deploymentId: string, event: LogEvent): void {
      emitter.emit(deploymentId, event);
    },
    subscribe(deploymentId: string, fn: (event: LogEvent) => void): () => void {
      emitter.on(deploymentId, fn);
      return () => emitter.off(deploymentId, fn);
    },
  };
}

export type LogBus = ReturnType<typeof createLogBus>;
