import pino from "pino";

export type { Logger } from "./domain/logger.ts";

type Logger = pino.Logger;

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
