import pino from "pino";
import type { Logger } from "./domain/logger.ts";

export type { Logger };

/** Paths whose values never reach the log, whatever logs them. */
export const redactPaths = [
  "password",
  "*.password",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: redactPaths, censor: "[redacted]" }, base: { app: "berth" } },
    destination,
  );
}
