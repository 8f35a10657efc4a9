/**
 * Runs untrusted code (build commands, job scripts) in a bubblewrap sandbox: its own
 * mount view (read-only system, the work directory as the only writable path), PID
 * namespace (everything it starts dies with it), uid nobody, and limits on memory,
 * processes, file size and CPU time. The network stays open.
 */
export {
  DEFAULT_LIMITS,
  ETC_ENTRIES,
  INSIDE_DIR,
  limitArgv,
  NOBODY,
  type SandboxLimits,
  type SandboxSpec,
  sandboxArgv,
} from "./argv.ts";
export { OFF_WARNING, type SandboxCheck, unavailableMessage } from "./detect.ts";
export { LIMIT_NAMES, type LimitHit, type LimitName } from "./limits.ts";
export {
  createSandbox,
  type Sandbox,
  type SandboxResult,
  type SandboxRun,
  type SandboxRunOptions,
  type SandboxSettings,
} from "./sandbox.ts";
