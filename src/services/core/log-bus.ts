import { EventEmitter } from "node:events";
import type { DeploymentStatus } from "../../domain/releases/deployment.ts";
import type { LogLine } from "../../domain/releases/types.ts";

export type LogEvent =
  | { type: "line"; line: LogLine }
  | { type: "status"; status: DeploymentStatus; final: boolean };

/** In-process fan-out of log events to live viewers (SSE), keyed by id. The database is the record. */
export function createBus<E>() {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(id: string, event: E): void {
      emitter.emit(id, event);
    },
    subscribe(id: string, fn: (event: E) => void): () => void {
      emitter.on(id, fn);
      return () => emitter.off(id, fn);
    },
  };
}

export const createLogBus = () => createBus<LogEvent>();

export type LogBus = ReturnType<typeof createLogBus>;
