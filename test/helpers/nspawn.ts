import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * A throwaway machine booted under real systemd: `systemd-nspawn --boot` over an overlay
 * of this machine's root (its packages, nothing of its running state), with no network
 * but loopback. Every write lands in a tmpfs, gone when it stops.
 */
export type Machine = {
  /** The container's root as seen from here (the overlay): write files into it. */
  root: string;
  /** Runs argv as root inside the machine (its namespaces), never through a shell. */
  run: (
    argv: string[],
    opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number },
  ) => { status: number | null; stdout: string; stderr: string };
  stop: () => Promise<void>;
  /** What systemd-nspawn printed (the boot console), for failure messages. */
  console: () => string;
};

const has = (command: string) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

/** Whether this host can boot a machine at all: root, systemd-nspawn, a systemd to boot. */
export function canBoot(): boolean {
  return (
    process.getuid?.() === 0 &&
    has("systemd-nspawn") &&
    has("nsenter") &&
    fs.existsSync("/lib/systemd/systemd")
  );
}

function sh(argv: string[]) {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * The PID of the container's init: the child of systemd-nspawn that runs systemd (first
 * nspawn forks a short-lived helper, which must not be mistaken for it).
 */
function leaderOf(nspawnPid: number): number | null {
  try {
    for (const task of fs.readdirSync(`/proc/${nspawnPid}/task`)) {
      const kids = fs.readFileSync(`/proc/${nspawnPid}/task/${task}/children`, "utf8").trim();
      for (const kid of kids ? kids.split(" ") : []) {
        if (fs.readFileSync(`/proc/${kid}/comm`, "utf8").trim() === "systemd") return Number(kid);
      }
    }
  } catch {
    // gone, or not yet there
  }
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Boots the machine and waits until systemd reports it up. `prepare` may edit the root
 * first (the overlay is mounted, nothing runs yet).
 */
export async function bootMachine(prepare: (root: string) => void = () => {}): Promise<Machine> {
  const base = fs.mkdtempSync("/run/berth-machine-");
  sh(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", base]);
  for (const dir of ["upper", "work", "root"]) fs.mkdirSync(path.join(base, dir));
  const root = path.join(base, "root");
  const unmount = () => {
    spawnSync("umount", ["-l", root]);
    spawnSync("umount", ["-l", base]);
    fs.rmSync(base, { recursive: true, force: true });
  };
  try {
    sh([
      "mount",
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=/,upperdir=${base}/upper,workdir=${base}/work`,
      root,
    ]);
    // The host's own services stay off: only what a fresh server runs by default.
    const wants = path.join(root, "etc/systemd/system/multi-user.target.wants");
    for (const unit of fs.existsSync(wants) ? fs.readdirSync(wants) : []) {
      if (unit !== "nginx.service") fs.rmSync(path.join(wants, unit));
    }
    for (const dir of ["timers.target.wants", "sockets.target.wants"]) {
      fs.rmSync(path.join(root, "etc/systemd/system", dir), { recursive: true, force: true });
    }
    prepare(root);
  } catch (err) {
    unmount();
    throw err;
  }

  const name = `berth-${process.pid}`;
  const child: ChildProcess = spawn(
    "systemd-nspawn",
    [
      "-D",
      root,
      "--boot",
      "--register=no",
      "--keep-unit",
      "--private-network",
      "--console=passive",
      `--machine=${name}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  let leader: number | null = null;
  const run: Machine["run"] = (argv, opts = {}) => {
    if (leader === null) throw new Error("the machine is not running");
    const env = Object.entries({
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      LANG: "C.UTF-8",
      ...opts.env,
    }).map(([k, v]) => `${k}=${v}`);
    const r = spawnSync(
      "nsenter",
      ["-t", String(leader), "-a", "--", "env", "-i", ...env, ...argv],
      {
        encoding: "utf8",
        input: opts.input,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 32 * 1024 * 1024,
      },
    );
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };

  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM"); // nspawn asks the machine's systemd to power off
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(killer);
    }
    unmount();
  };

  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`systemd-nspawn exited:\n${output}`);
      leader = child.pid ? leaderOf(child.pid) : null;
      if (leader !== null) {
        const state = run(["systemctl", "is-system-running"], { timeoutMs: 10_000 }).stdout.trim();
        if (state === "running" || state === "degraded") break;
      }
      if (Date.now() > deadline) throw new Error(`the machine did not boot:\n${output}`);
      await sleep(200);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { root, run, stop, console: () => output };
}
