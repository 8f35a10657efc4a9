import type { LogLevel } from "../../domain/releases/deployment.ts";
import type { BuildsDeps } from "./deps.ts";

/** Appends a line to a build's log (stored, then announced to live viewers). */
export function buildLog(
  deps: BuildsDeps,
  buildId: string,
  message: string,
  level: LogLevel = "info",
  stream: "stdout" | "stderr" | "system" = "system",
): void {
  const line = deps.repos.builds.appendLog({ buildId, at: Date.now(), stream, level, message });
  deps.buildBus.publish(buildId, { type: "line", id: line.id });
}
