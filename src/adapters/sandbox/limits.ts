import type { SandboxLimits } from "./argv.ts";

export const LIMIT_NAMES = ["memory", "processes", "file size", "CPU time"] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];
export type LimitHit = { name: LimitName; message: string };

/** What a shell, a runtime or the C library prints when a limit refuses it. */
const SIGNS: readonly [LimitName, RegExp][] = [
  ["processes", /Cannot fork|fork: (retry: )?Resource temporarily unavailable|fork failed/i],
  ["memory", /out of memory|Cannot allocate memory|std::bad_alloc|MemoryError|\bENOMEM\b/i],
  ["file size", /File size limit exceeded|File too large|\bEFBIG\b/i],
  ["CPU time", /CPU time limit exceeded/i],
];

/** 128 + the signal number, as a shell (and bwrap) reports a command the signal killed. */
const SIGXCPU_EXIT = 128 + 24;
const SIGXFSZ_EXIT = 128 + 25;

/** Watches a command's output for the signs of a limit it ran into. */
export function createLimitWatch() {
  const seen = new Set<LimitName>();
  return {
    scan(text: string) {
      for (const [name, re] of SIGNS) if (!seen.has(name) && re.test(text)) seen.add(name);
    },
    /** The limit that stopped (or hindered) the command, if any: its signal first. */
    hit(
      end: { exitCode: number | null; signal: string | null },
      limits: SandboxLimits,
    ): LimitHit | null {
      let name: LimitName | undefined;
      if (end.signal === "SIGXCPU" || end.exitCode === SIGXCPU_EXIT) name = "CPU time";
      else if (end.signal === "SIGXFSZ" || end.exitCode === SIGXFSZ_EXIT) name = "file size";
      else name = SIGNS.map(([n]) => n).find((n) => seen.has(n));
      return name ? { name, message: limitMessage(name, limits) } : null;
    },
  };
}

export function limitMessage(name: LimitName, limits: SandboxLimits): string {
  const what: Record<LimitName, string> = {
    memory: `${limits.memoryMb} MiB per process, BERTH_SANDBOX_MEMORY_MB`,
    processes: `${limits.processes} processes and threads, BERTH_SANDBOX_PROCESSES`,
    "file size": `${limits.fileSizeMb} MiB per file, BERTH_SANDBOX_FILE_SIZE_MB`,
    "CPU time": `${limits.cpuSeconds} s per process, BERTH_SANDBOX_CPU_SECONDS`,
  };
  return `The sandbox's ${name} limit was hit (${what[name]}).`;
}
