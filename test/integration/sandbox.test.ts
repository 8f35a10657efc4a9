import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSandbox,
  DEFAULT_LIMITS,
  ETC_ENTRIES,
  type SandboxLimits,
  type SandboxRun,
} from "../../src/adapters/sandbox/index.ts";

const sandbox = createSandbox({ mode: "on", limits: DEFAULT_LIMITS });
let root: string;
let data: string;
let n = 0;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-sandbox-"));
  fs.chmodSync(root, 0o711); // bwrap runs as nobody when the tests run as root
  // what a Berth data directory holds: each must be absent inside, not merely unreadable
  data = path.join(root, "data");
  fs.mkdirSync(path.join(data, "sites/other/production/current"), { recursive: true });
  fs.writeFileSync(path.join(data, "secret.key"), "key-material-0123456789");
  fs.writeFileSync(path.join(data, "berth.db"), "SQLite format 3 users-table");
  fs.writeFileSync(path.join(data, "sites/other/production/current/index.html"), "other-site");
  expect(await sandbox.check()).toMatchObject({ ok: true, sandboxed: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function start(command: string, limits: Partial<SandboxLimits> = {}, timeoutMs = 20_000) {
  const workDir = path.join(root, "work", String(++n));
  let output = "";
  let run: SandboxRun | undefined;
  const ready = (async () => {
    await sandbox.makeWorkDir(workDir);
    await sandbox.handOver(workDir);
  })();
  const result = ready.then(() => {
    run = sandbox.run({
      workDir,
      argv: ["/bin/sh", "-c", command],
      env: { PATH: "/usr/bin:/bin", HOME: os.homedir() },
      timeoutMs,
      maxOutputBytes: 1024 * 1024,
      secrets: [],
      onOutput: (c) => {
        output += c.text;
      },
      graceMs: 500,
      limits,
    });
    return run.result;
  });
  return {
    workDir,
    result,
    output: () => output,
    handle: async () => {
      await ready;
      while (!run) await new Promise((r) => setTimeout(r, 5));
      return run;
    },
  };
}

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
const state = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
};
async function until(test: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the mount view", () => {
  it("has none of Berth's data directory, database, key, other sites, HOME or /etc/berth", async () => {
    const paths = [
      data,
      path.join(data, "secret.key"),
      path.join(data, "berth.db"),
      path.join(data, "sites/other/production/current/index.html"),
      "/etc/berth",
      os.homedir(),
    ];
    const r = start(
      `for p in ${paths.join(" ")}; do if [ -e "$p" ]; then echo "SEEN $p"; else echo "ABSENT $p"; fi; done
       cat ${paths[1]} ${paths[2]} ${paths[3]} 2>&1; echo ETC; ls -A /etc; id -u`,
    );
    const res = await r.result;
    expect(res.exitCode, r.output()).toBe(0);
    for (const p of paths) expect(r.output()).toContain(`ABSENT ${p}`);
    expect(r.output()).not.toContain("SEEN");
    expect(r.output()).toContain(`${paths[1]}: No such file or directory`);
    expect(r.output()).not.toMatch(/key-material|users-table|other-site/);
    const etc = r.output().split("ETC\n")[1]?.trim().split("\n").slice(0, -1) ?? [];
    const allowed = new Set(ETC_ENTRIES.map((e) => e.split("/")[0]));
    expect(etc.length).toBeGreaterThan(3);
    expect(etc.filter((e) => !allowed.has(e))).toEqual([]);
    expect(r.output().trim().endsWith("65534")).toBe(true);
  });

  it("is read-only everywhere but the work directory, and /tmp is its own", async () => {
    const hostProbe = path.join(os.tmpdir(), `berth-sandbox-probe-${process.pid}`);
    const r = start(
      `for p in /usr/x /etc/x /x /proc/x /work/../x; do touch "$p" 2>/dev/null && echo "WROTE $p" || echo "REFUSED $p"; done
       echo mine > built.txt; echo t > ${hostProbe} && echo TMP-OK`,
    );
    expect((await r.result).exitCode, r.output()).toBe(0);
    expect(r.output()).not.toContain("WROTE");
    expect(r.output().match(/REFUSED/g)).toHaveLength(5);
    expect(r.output()).toContain("TMP-OK");
    expect(fs.existsSync(hostProbe)).toBe(false);
    expect(fs.readFileSync(path.join(r.workDir, "built.txt"), "utf8")).toBe("mine\n");
  });

  it("cannot make user namespaces of its own (bwrap 0.8+)", async () => {
    const check = await sandbox.check();
    if (!(check.ok && check.sandboxed && check.disableUserns)) return; // an older bwrap
    const r = start("unshare --user true && echo NESTED || echo REFUSED");
    await r.result;
    expect(r.output()).toContain("REFUSED");
  });
});

describe("limits", () => {
  it("stops a fork bomb at the processes limit and names it", async () => {
    const r = start("f() { f | f & }; f; sleep 1; exit 1", { processes: 32 });
    const res = await r.result;
    expect(r.output()).toContain("Cannot fork");
    expect(res.limit?.name).toBe("processes");
    expect(res.limit?.message).toContain("32 processes");
  });

  it("kills a CPU loop at the CPU time limit and names it", async () => {
    const r = start("while :; do :; done", { cpuSeconds: 1 });
    const res = await r.result;
    expect(res.exitCode).toBe(152);
    expect(res.timedOut).toBe(false);
    expect(res.limit?.name).toBe("CPU time");
  });

  it("stops a big file at the file size limit and names it", async () => {
    const r = start("head -c 5000000 /dev/zero > big", { fileSizeMb: 1 });
    const res = await r.result;
    expect(res.exitCode).toBe(153);
    expect(res.limit?.name).toBe("file size");
    expect(fs.statSync(path.join(r.workDir, "big")).size).toBe(1024 * 1024);
  });

  it("refuses memory past the memory limit and names it", async () => {
    const r = start(`python3 -c "bytearray(512 * 1024 * 1024)"`, { memoryMb: 64 });
    const res = await r.result;
    expect(res.exitCode).not.toBe(0);
    expect(res.limit?.name, r.output()).toBe("memory");
  });
});

describe("processes", () => {
  it("kills what the command left behind, setsid escapes included, when it ends", async () => {
    const r = start("setsid sleep 1011 & setsid sh -c 'sleep 1012' & sleep 1; echo done");
    const run = await r.handle();
    let seen: number[] = [];
    await until(() => {
      seen = run.pids();
      return seen.length >= 5; // init, sh, two sleeps, the setsid sh
    }, "all processes started");
    const res = await r.result;
    expect(res.exitCode).toBe(0);
    expect(r.output()).toContain("done");
    await until(() => seen.every((pid) => !alive(pid)), "every sandbox process gone", 3000);
  });

  it("pauses, resumes and kills every process of the sandbox, setsid ones included", async () => {
    const r = start(
      "setsid sh -c 'while :; do echo x >> ticks; sleep 0.05; done' & while :; do sleep 0.05; done",
    );
    const run = await r.handle();
    const ticks = path.join(r.workDir, "ticks");
    const size = () => (fs.existsSync(ticks) ? fs.statSync(ticks).size : 0);
    await until(() => size() > 4, "ticking");
    expect(await run.pause()).toBeGreaterThanOrEqual(4);
    const paused = run.pids();
    expect(paused.slice(1).map(state)).toEqual(paused.slice(1).map(() => "T"));
    const at = size();
    await new Promise((r) => setTimeout(r, 300));
    expect(size()).toBe(at);
    expect(run.resume()).toBeGreaterThanOrEqual(4);
    await until(() => size() > at, "ticking again");
    expect(run.signal("SIGKILL")).toBeGreaterThanOrEqual(4);
    const res = await r.result;
    expect(res.exitCode).not.toBe(0);
    await until(() => paused.every((pid) => !alive(pid)), "every sandbox process gone", 3000);
    expect(run.pids()).toEqual([]);
  });

  it("on cancel, SIGTERM then SIGKILL reach the whole sandbox", async () => {
    const controller = new AbortController();
    const workDir = path.join(root, "work", String(++n));
    await sandbox.makeWorkDir(workDir);
    await sandbox.handOver(workDir);
    const run = sandbox.run({
      workDir,
      argv: [
        "/bin/sh",
        "-c",
        "setsid sh -c 'trap \"\" TERM; sleep 1013' & trap '' TERM; sleep 1014",
      ],
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 20_000,
      maxOutputBytes: 4096,
      secrets: [],
      onOutput: () => undefined,
      signal: controller.signal,
      graceMs: 300,
    });
    let seen: number[] = [];
    await until(() => {
      seen = run.pids();
      return seen.length >= 5;
    }, "all processes started");
    controller.abort();
    const res = await run.result;
    expect(res.cancelled).toBe(true);
    await until(() => seen.every((pid) => !alive(pid)), "every sandbox process gone", 3000);
  });
});

describe("without a usable sandbox", () => {
  it("refuses to run, saying how to fix it", async () => {
    const broken = createSandbox({
      mode: "on",
      limits: DEFAULT_LIMITS,
      bwrap: "/nonexistent/bwrap",
    });
    const check = await broken.check();
    expect(check.ok).toBe(false);
    expect(!check.ok && check.message).toMatch(
      /bwrap is missing.*apt-get install bubblewrap.*BERTH_SANDBOX=off/s,
    );
    const run = broken.run({
      workDir: root,
      argv: ["/bin/true"],
      env: {},
      timeoutMs: 1000,
      maxOutputBytes: 100,
      secrets: [],
      onOutput: () => undefined,
    });
    await expect(run.result).rejects.toMatchObject({ code: "sandbox_unavailable" });
  });

  it("BERTH_SANDBOX=off runs unsandboxed and says so", async () => {
    const off = createSandbox({ mode: "off", limits: DEFAULT_LIMITS });
    const check = await off.check();
    expect(check).toMatchObject({ ok: true, sandboxed: false });
    expect(check.ok && !check.sandboxed && check.warning).toContain("BERTH_SANDBOX=off");
    let output = "";
    const res = await off.run({
      workDir: root,
      argv: ["/bin/sh", "-c", `cat ${path.join(data, "secret.key")}`],
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 5000,
      maxOutputBytes: 4096,
      secrets: [],
      onOutput: (c) => {
        output += c.text;
      },
    }).result;
    expect(res).toMatchObject({ exitCode: 0, sandboxed: false, limit: null });
    expect(output).toBe("key-material-0123456789");
  });
});
