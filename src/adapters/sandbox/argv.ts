/** What a sandboxed command may use; each is configurable (BERTH_SANDBOX_*). */
export type SandboxLimits = {
  /** Private writable memory per process (RLIMIT_DATA), in MiB. */
  memoryMb: number;
  /** Processes and threads of the sandbox together (RLIMIT_NPROC in its user namespace). */
  processes: number;
  /** Largest file a process may write (RLIMIT_FSIZE), in MiB. */
  fileSizeMb: number;
  /** CPU time per process (RLIMIT_CPU), in seconds: SIGXCPU, then SIGKILL 5 s later. */
  cpuSeconds: number;
};

export const DEFAULT_LIMITS: SandboxLimits = Object.freeze({
  memoryMb: 4096,
  processes: 512,
  fileSizeMb: 1024,
  cpuSeconds: 3600,
});

/** The uid and gid the command runs as inside (and, when Berth is root, outside too). */
export const NOBODY = 65534;

/** Where the work directory appears inside the sandbox; the command starts there. */
export const INSIDE_DIR = "/work";

/** Read-only system directories (merged-/usr hosts have the last four as symlinks: bound alike). */
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64"] as const;

/**
 * The only parts of /etc a command sees: name resolution, users and groups (for `id`
 * and tools that look themselves up), TLS roots, the dynamic linker's cache, time zone,
 * alternatives (Debian's /usr/bin/* links point through it). Never /etc as a whole:
 * /etc/berth, ssh host keys, shadow, credentials of other services stay out.
 */
export const ETC_ENTRIES = [
  "resolv.conf",
  "hosts",
  "host.conf",
  "nsswitch.conf",
  "gai.conf",
  "services",
  "protocols",
  "passwd",
  "group",
  "ssl/certs",
  "ssl/openssl.cnf",
  "ca-certificates",
  "ca-certificates.conf",
  "pki",
  "alternatives",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "timezone",
  "os-release",
  "debian_version",
  "mime.types",
] as const;

const MiB = 1024 * 1024;
const CPU_GRACE_SECONDS = 5;

/**
 * prlimit (util-linux) inside the sandbox, so the limits bind the command and what it
 * starts, and RLIMIT_NPROC counts only the sandbox's own user namespace. CPU has a soft
 * limit (SIGXCPU, which names the cause) below the hard one (SIGKILL).
 */
export function limitArgv(limits: SandboxLimits): string[] {
  const both = (n: number) => `${n}:${n}`;
  return [
    "/usr/bin/prlimit",
    `--data=${both(limits.memoryMb * MiB)}`,
    `--nproc=${both(limits.processes)}`,
    `--fsize=${both(limits.fileSizeMb * MiB)}`,
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + CPU_GRACE_SECONDS}`,
    "--core=0",
    "--",
  ];
}

export type SandboxSpec = {
  /** bubblewrap itself. */
  bwrap: string;
  /** Host directory bound read-write at INSIDE_DIR: the only writable path. */
  workDir: string;
  /** Where the command starts, inside (default INSIDE_DIR). */
  cwd?: string;
  command: string[];
  limits: SandboxLimits;
  /** No user namespaces inside (bwrap 0.8+): the kernel surface most escapes go through. */
  disableUserns?: boolean;
};

/**
 * The bwrap argv for one command: a new mount view with the read-only system, the
 * allowed /etc entries, the work directory (read-write), a private /tmp, its own /proc
 * and /dev; every namespace new except the network; uid/gid nobody inside; killed with
 * its parent; a new session (no terminal to inject into). What is not bound here does
 * not exist inside: Berth's data directory, database, keys, HOME and /etc/berth.
 */
export function sandboxArgv(spec: SandboxSpec): string[] {
  if (spec.command.length === 0) throw new Error("sandboxArgv: empty command");
  const argv = [spec.bwrap];
  for (const dir of SYSTEM_DIRS) argv.push("--ro-bind-try", dir, dir);
  for (const name of ETC_ENTRIES) argv.push("--ro-bind-try", `/etc/${name}`, `/etc/${name}`);
  argv.push(
    "--bind",
    spec.workDir,
    INSIDE_DIR,
    "--chdir",
    spec.cwd ?? INSIDE_DIR,
    "--tmpfs",
    "/tmp",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    // the root bwrap builds the view in is a tmpfs: read-only too, once everything is mounted
    "--remount-ro",
    "/",
    "--unshare-all",
    "--unshare-user",
    ...(spec.disableUserns ? ["--disable-userns"] : []),
    "--share-net",
    "--uid",
    String(NOBODY),
    "--gid",
    String(NOBODY),
    "--hostname",
    "sandbox",
    "--die-with-parent",
    "--new-session",
    "--",
    ...limitArgv(spec.limits),
    ...spec.command,
  );
  return argv;
}

/** The argv that proves namespaces work: the same kind of sandbox around `true`. */
export function probeArgv(bwrap: string, disableUserns: boolean): string[] {
  return [
    bwrap,
    ...SYSTEM_DIRS.flatMap((dir) => ["--ro-bind-try", dir, dir]),
    "--proc",
    "/proc",
    "--unshare-all",
    "--unshare-user",
    ...(disableUserns ? ["--disable-userns"] : []),
    "--share-net",
    "--uid",
    String(NOBODY),
    "--gid",
    String(NOBODY),
    "--die-with-parent",
    "--new-session",
    "--",
    "/usr/bin/prlimit",
    "--nproc=64:64",
    "--",
    "/usr/bin/true",
  ];
}
