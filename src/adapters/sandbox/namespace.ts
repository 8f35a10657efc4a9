import fs from "node:fs";

/** `pid:[4026532]`: the identity of a process's PID namespace, or null if it is gone. */
function pidNamespace(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // a kernel without CONFIG_PROC_CHILDREN: find them by their parent
    return allPids().filter((p) => parentOf(p) === pid);
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // the name in parentheses may hold spaces: the fields after the last ")" are fixed
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function send(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // gone meanwhile
  }
}

/**
 * The processes of one sandbox, found from the outside: bwrap (started by Berth) clones
 * the sandbox's init into a new PID namespace; every process whose /proc/PID/ns/pid is
 * that namespace belongs to the sandbox, `setsid` escapes included.
 */
export function createNamespaceTracker(outerPid: number) {
  let found: { ns: string; init: number } | null = null;

  const locate = () => {
    if (found) return found;
    const own = pidNamespace(outerPid);
    for (const child of childrenOf(outerPid)) {
      const ns = pidNamespace(child);
      if (ns !== null && ns !== own) {
        found = { ns, init: child };
        break;
      }
    }
    return found;
  };

  /** Outer pids of every process in the sandbox, its init (the bwrap reaper) first. */
  const pids = (): number[] => {
    // bwrap exits only after the sandbox's init did: with it gone, nothing is left
    if (!isAlive(outerPid)) return [];
    const where = locate();
    if (!where) return [];
    const rest = allPids().filter((p) => p !== where.init && pidNamespace(p) === where.ns);
    return pidNamespace(where.init) === where.ns ? [where.init, ...rest] : rest;
  };

  /**
   * Sends `signal` to every process of the sandbox; answers how many got it. SIGKILL
   * goes to the init, which takes the whole namespace with it (the kernel kills the
   * rest); SIGSTOP repeats until a pass finds no process it has not stopped, so one
   * forked meanwhile is caught too. Before the namespace exists, bwrap itself gets
   * SIGTERM/SIGKILL (--die-with-parent does the rest).
   */
  const signal = (sig: NodeJS.Signals): number => {
    if (!isAlive(outerPid)) return 0;
    const where = locate();
    if (!where) {
      return (sig === "SIGKILL" || sig === "SIGTERM") && send(outerPid, sig) ? 1 : 0;
    }
    if (sig === "SIGKILL") {
      const count = pids().length;
      send(where.init, "SIGKILL");
      return count;
    }
    const done = new Set<number>();
    for (let pass = 0; pass < 5; pass++) {
      const fresh = pids().filter((p) => !done.has(p));
      if (fresh.length === 0) break;
      for (const p of fresh) if (send(p, sig)) done.add(p);
      if (sig !== "SIGSTOP") break;
    }
    return done.size;
  };

  /**
   * SIGSTOP until every process of the sandbox is stopped (a signal is delivered
   * asynchronously, and one may be forking meanwhile), for at most `ms`.
   */
  const stop = async (ms = 2000): Promise<number> => {
    const deadline = Date.now() + ms;
    let count = signal("SIGSTOP");
    for (;;) {
      const running = pids().filter((p) => !/^[TtZX]$/.test(stateOf(p)));
      if (running.length === 0 || Date.now() > deadline) return count;
      for (const p of running) send(p, "SIGSTOP");
      count = Math.max(count, pids().length);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  return { pids, signal, stop };
}

/** The state letter of /proc/PID/stat (R, S, T, Z...), or "X" once it is gone. */
export function stateOf(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2);
  } catch {
    return "X";
  }
}

export type NamespaceTracker = ReturnType<typeof createNamespaceTracker>;

/** Outer pids of a process group (the unsandboxed case: `setsid` escapes are not in it). */
export function groupPids(pgid: number): number[] {
  const out: number[] = [];
  for (const pid of allPids()) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
