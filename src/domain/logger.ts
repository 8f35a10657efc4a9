import type { Logger as PinoLogger } from "pino";

/** The logger every part is handed (src/log.ts makes the one instance). */
export type Logger = PinoLogger;
