import fs from "node:fs";

/**
 * Every process of one PID namespace, seen from outside: what a sandboxed run is. A
 * `setsid` child leaves its process group but never its namespace, so signalling the
 * namespace reaches it.
 */
export type NamespaceControl = {
  signal(signal: NodeJS.Signals): void;
  pause(): void;
  resume(): void;
  /** Host pids in the namespace now (its init first). */
  members(): number[];
};

const nsOf = (pid: number): string | null => {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
};

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Control of the namespace that `launcher` (bwrap, outside it) created for its child. */
export function namespaceOf(launcher: number): NamespaceControl {
  const own = nsOf(launcher);
  let ns: string | null = null;
  const target = () => {
    if (ns) return ns;
    for (const c of childrenOf(launcher)) {
      const n = nsOf(c);
      if (n && n !== own) ns = n;
    }
    return ns;
  };
  const members = (): number[] => {
    const want = target();
    if (!want) return [];
    const out: number[] = [];
    for (const e of fs.readdirSync("/proc")) {
      const pid = Number(e);
      if (Number.isInteger(pid) && pid > 0 && nsOf(pid) === want) out.push(pid);
    }
    return out.sort((a, b) => a - b);
  };
  const send = (pids: number[], sig: NodeJS.Signals) => {
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        // gone
      }
    }
  };
  return {
    members,
    signal: (sig) => send(members(), sig),
    pause() {
      // a process may fork while others stop: repeat until no new one shows up
      const stopped = new Set<number>();
      for (let round = 0; round < 20; round++) {
        const fresh = members().filter((p) => !stopped.has(p));
        if (fresh.length === 0) break;
        send(fresh, "SIGSTOP");
        for (const p of fresh) stopped.add(p);
      }
    },
    resume: () => send(members(), "SIGCONT"),
  };
}
