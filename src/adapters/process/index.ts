/**
 * Runs commands for builds and jobs: argv arrays only (never `shell: true`), each in its
 * own process group with a cleaned environment, a timeout, an output cap and secret masking.
 */
export { commandArgv } from "./command.ts";
export { cleanEnv, isBerthPrivate } from "./env.ts";
export { createMasker, MASK, type Masker, maskSecrets } from "./mask.ts";
export type { OutputChunk, OutputStream } from "./output.ts";
export { type RunOptions, type RunResult, runProcess, signalGroup } from "./run.ts";
