import { describe, expect, it } from "vitest";
import {
  DEFAULT_LIMITS,
  ETC_ENTRIES,
  limitArgv,
  sandboxArgv,
  unavailableMessage,
} from "../../src/adapters/sandbox/index.ts";
import { createLimitWatch } from "../../src/adapters/sandbox/limits.ts";

const limits = { memoryMb: 256, processes: 64, fileSizeMb: 10, cpuSeconds: 30 };
const argv = sandboxArgv({
  bwrap: "/usr/bin/bwrap",
  workDir: "/tmp/berth-work-x/b1",
  cwd: "/work/src",
  command: ["/bin/sh", "-c", "npm run build"],
  limits,
});

/** [option, source, destination] triples of the mount options. */
function mounts(options: string[]) {
  const out: [string, string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const opt = argv[i] as string;
    if (options.includes(opt)) out.push([opt, argv[i + 1] as string, argv[i + 2] as string]);
  }
  return out;
}

describe("the bwrap argv", () => {
  it("binds the work directory as the only writable path, at /work, and starts there", () => {
    expect(mounts(["--bind", "--bind-try", "--dev-bind"])).toEqual([
      ["--bind", "/tmp/berth-work-x/b1", "/work"],
    ]);
    expect(argv.slice(argv.indexOf("--chdir"), argv.indexOf("--chdir") + 2)).toEqual([
      "--chdir",
      "/work/src",
    ]);
  });

  it("shows the system read-only and only the listed parts of /etc", () => {
    const ro = mounts(["--ro-bind", "--ro-bind-try"]);
    for (const dir of ["/usr", "/bin", "/lib", "/lib64"])
      expect(ro).toContainEqual(["--ro-bind-try", dir, dir]);
    const etc = ro.filter(([, src]) => src.startsWith("/etc"));
    expect(etc.map(([, src]) => src)).toEqual(ETC_ENTRIES.map((e) => `/etc/${e}`));
    expect(etc.every(([, src, dst]) => src === dst)).toBe(true);
    // never /etc whole, never Berth's own configuration, keys or home
    const sources = ro.map(([, src]) => src);
    expect(sources).not.toContain("/etc");
    expect(sources.some((s) => /berth|shadow|ssh|sudoers|\/root|\/home|\/var|\/run/.test(s))).toBe(
      false,
    );
  });

  it("gives private /tmp, /proc and /dev, new namespaces except the network, and nobody", () => {
    for (const pair of [
      ["--tmpfs", "/tmp"],
      ["--proc", "/proc"],
      ["--dev", "/dev"],
      ["--uid", "65534"],
      ["--gid", "65534"],
    ]) {
      const at = argv.indexOf(pair[0] as string);
      expect(argv.slice(at, at + 2)).toEqual(pair);
    }
    for (const flag of [
      "--unshare-all",
      "--unshare-user",
      "--share-net",
      "--die-with-parent",
      "--new-session",
    ]) {
      expect(argv.slice(0, argv.indexOf("--"))).toContain(flag);
    }
  });

  it("runs the command under prlimit with every limit, the command last and untouched", () => {
    const rest = argv.slice(argv.indexOf("--") + 1);
    expect(rest).toEqual([...limitArgv(limits), "/bin/sh", "-c", "npm run build"]);
    expect(limitArgv(limits)).toEqual([
      "/usr/bin/prlimit",
      `--data=${256 * 1024 * 1024}:${256 * 1024 * 1024}`,
      "--nproc=64:64",
      `--fsize=${10 * 1024 * 1024}:${10 * 1024 * 1024}`,
      "--cpu=30:35",
      "--core=0",
      "--",
    ]);
    expect(DEFAULT_LIMITS).toEqual({
      memoryMb: 4096,
      processes: 512,
      fileSizeMb: 1024,
      cpuSeconds: 3600,
    });
  });
});

it("forbids user namespaces inside when bwrap can (0.8+)", () => {
  const spec = { bwrap: "bwrap", workDir: "/w", command: ["true"], limits };
  expect(sandboxArgv(spec)).not.toContain("--disable-userns");
  const hardened = sandboxArgv({ ...spec, disableUserns: true });
  expect(hardened.indexOf("--disable-userns")).toBe(hardened.indexOf("--unshare-user") + 1);
});

describe("naming the limit a command hit", () => {
  const hit = (exitCode: number | null, output = "", signal: string | null = null) => {
    const watch = createLimitWatch();
    watch.scan(output);
    return watch.hit({ exitCode, signal }, limits)?.name ?? null;
  };

  it("reads SIGXCPU and SIGXFSZ from the exit, and fork and memory failures from the output", () => {
    expect(hit(152)).toBe("CPU time");
    expect(hit(null, "", "SIGXCPU")).toBe("CPU time");
    expect(hit(153)).toBe("file size");
    expect(hit(2, "sh: 1: Cannot fork\n")).toBe("processes");
    expect(hit(254, "bash: fork: retry: Resource temporarily unavailable")).toBe("processes");
    expect(hit(1, "MemoryError\n")).toBe("memory");
    expect(
      hit(134, "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"),
    ).toBe("memory");
    expect(hit(1, "dd: error writing 'big': File too large")).toBe("file size");
    expect(hit(1, "npm ERR! missing script: build")).toBeNull();
    expect(hit(0)).toBeNull();
  });

  it("says which limit, its value and the setting that raises it", () => {
    const watch = createLimitWatch();
    expect(watch.hit({ exitCode: 152, signal: null }, limits)?.message).toBe(
      "The sandbox's CPU time limit was hit (30 s per process, BERTH_SANDBOX_CPU_SECONDS).",
    );
  });
});

it("the error for a missing sandbox says how to fix it", () => {
  const message = unavailableMessage("/usr/bin/bwrap is missing");
  expect(message).toContain("/usr/bin/bwrap is missing");
  expect(message).toContain("apt-get install bubblewrap");
  expect(message).toMatch(/user namespaces/);
  expect(message).toMatch(/AppArmor/);
  expect(message).toContain("BERTH_SANDBOX=off");
});
