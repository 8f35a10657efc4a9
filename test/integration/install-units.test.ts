import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";

// The units install.sh writes, read as systemd reads them, and the request channel
// between Berth (bin/berth-nginx-request) and the root oneshot (bin/berth-nginx-reload)
// run for real against nginx. test/integration/install-systemd.test.ts boots them.
const repo = path.resolve(import.meta.dirname, "../..");
const REQUEST = path.join(repo, "bin/berth-nginx-request");
const RELOAD = path.join(repo, "bin/berth-nginx-reload");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-units-"));
  dirs.push(dir);
  return dir;
};
const has = (command: string) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

/** [Section] → Key → values, comments and blank lines left out. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section?.[1]) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const at = line.indexOf("=");
    const key = line.slice(0, at);
    current.set(key, [...(current.get(key) ?? []), line.slice(at + 1)]);
  }
  return sections;
}

// systemd.exec(5): with User= set, each of these forces NoNewPrivileges=yes.
const FORCE_NO_NEW_PRIVS = [
  "PrivateDevices",
  "ProtectKernelTunables",
  "ProtectKernelModules",
  "ProtectKernelLogs",
  "ProtectClock",
  "ProtectHostname",
  "RestrictAddressFamilies",
  "RestrictNamespaces",
  "RestrictRealtime",
  "RestrictSUIDSGID",
  "LockPersonality",
  "SystemCallArchitectures",
  "SystemCallFilter",
];

describe("the units install.sh writes", () => {
  const root = tempDir();
  const unitDir = path.join(root, "etc/systemd/system");
  const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
  beforeAll(() => {
    const run = spawnSync(
      "bash",
      [path.join(repo, "install.sh"), "--root", root, "--no-packages", "--domain", "apps.test"],
      { env: { PATH: process.env.PATH ?? "", LANG: "C" }, encoding: "utf8", timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
  });

  it("never needs a privilege Berth's hardening takes away: no setuid, no sudo, no capability", () => {
    const service = parseUnit(read("etc/systemd/system/berth.service")).get("Service");
    expect(service?.get("User")).toEqual(["berth"]);
    // The design: no_new_privs holds, stated, whatever else the unit says.
    expect(service?.get("NoNewPrivileges")).toEqual(["yes"]);
    expect(service?.get("CapabilityBoundingSet")).toEqual([""]);
    // Every directive that forces no_new_privs is there, none dropped for sudo's sake; only
    // ProtectHostname= is left out, for the sandbox (see the next test).
    for (const directive of FORCE_NO_NEW_PRIVS.filter((d) => d !== "ProtectHostname")) {
      expect(service?.has(directive), directive).toBe(true);
    }
    // What Berth runs for nginx is the request script, not a setuid program.
    const env = Object.fromEntries(
      read("etc/berth/berth.env")
        .split("\n")
        .filter((line) => /^[A-Z_0-9]+=/.test(line))
        .map((line) => [
          line.slice(0, line.indexOf("=")),
          line.slice(line.indexOf("=") + 1).replace(/^"(.*)"$/, "$1"),
        ]),
    );
    const nginx = loadConfig(env).edge.nginx;
    for (const argv of [nginx.command, nginx.reload]) {
      expect(argv[0]).toBe("/opt/berth/bin/berth-nginx-request");
      const installed = fs.statSync(path.join(root, argv[0] as string));
      expect(installed.mode & 0o6000).toBe(0);
    }
    expect(fs.existsSync(path.join(root, "etc/sudoers.d/berth"))).toBe(false);
  });

  it("lets bubblewrap's namespaces and mounts through, for the build sandbox", () => {
    const service = parseUnit(read("etc/systemd/system/berth.service")).get("Service");
    const namespaces = service?.get("RestrictNamespaces")?.join(" ").split(" ") ?? [];
    for (const ns of ["user", "mnt", "pid", "ipc", "uts", "net", "cgroup"]) {
      expect(namespaces).toContain(ns);
    }
    const calls = service?.get("SystemCallFilter")?.join(" ").split(" ") ?? [];
    for (const call of ["@system-service", "mount", "umount2", "pivot_root", "sethostname"]) {
      expect(calls).toContain(call);
    }
    expect(service?.has("PrivateUsers")).toBe(false);
    // bwrap --hostname: ProtectHostname='s seccomp filter would refuse it even in the
    // sandbox's own UTS namespace, and @system-service lacks sethostname
    expect(service?.has("ProtectHostname")).toBe(false);
    // bwrap --disable-userns sets the sandbox's own user.max_user_namespaces
    expect(service?.get("ProtectKernelTunables")).toEqual(["yes"]);
    expect(service?.get("ReadWritePaths")).toContain("/proc/sys/user");
  });

  it("starts the root oneshot from a path unit watching the request queue", () => {
    const path_ = parseUnit(read("etc/systemd/system/berth-nginx-reload.path"));
    expect(path_.get("Path")?.get("DirectoryNotEmpty")).toEqual(["/run/berth-nginx/requests"]);
    expect(path_.get("Path")?.get("Unit")).toEqual(["berth-nginx-reload.service"]);
    const oneshot = parseUnit(read("etc/systemd/system/berth-nginx-reload.service"));
    expect(oneshot.get("Service")?.get("Type")).toEqual(["oneshot"]);
    expect(oneshot.get("Service")?.get("ExecStart")).toEqual(["/opt/berth/bin/berth-nginx-reload"]);
    expect(oneshot.get("Service")?.has("User")).toBe(false);
    expect(oneshot.get("Unit")?.get("StartLimitIntervalSec")).toEqual(["0"]);
    // Berth writes requests; only root writes answers.
    expect(read("etc/tmpfiles.d/berth.conf")).toMatch(
      /^d \/run\/berth-nginx\/requests 0770 root berth -$/m,
    );
    expect(read("etc/tmpfiles.d/berth.conf")).toMatch(
      /^d \/run\/berth-nginx\/results 0750 root berth -$/m,
    );
    const berth = parseUnit(read("etc/systemd/system/berth.service")).get("Service");
    expect(berth?.get("ReadWritePaths")?.join(" ")).toContain("/run/berth-nginx/requests");
    expect(berth?.get("ReadWritePaths")?.join(" ")).not.toContain("/run/berth-nginx/results");
  });

  it.skipIf(!has("systemd-analyze"))("are units systemd-analyze verify accepts", () => {
    const units = ["berth.service", "berth-nginx-reload.service", "berth-nginx-reload.path"];
    const verify = spawnSync(
      "systemd-analyze",
      ["verify", `--root=${root}`, ...units.map((u) => path.join(unitDir, u))],
      { encoding: "utf8" },
    );
    // Against the temp root, systemd's own units and the installed Node are missing;
    // anything else (an unknown directive or value: "ignoring ...") is a complaint.
    const complaints = verify.stderr
      .split("\n")
      .filter(
        (line) =>
          line &&
          !/Unit sysinit\.target not found|is not executable: No such file or directory/.test(line),
      );
    expect(complaints).toEqual([]);
  });
});

describe("the request channel: berth-nginx-request and berth-nginx-reload", () => {
  const dir = tempDir();
  const control = path.join(dir, "control");
  const nginxDir = path.join(dir, "nginx");
  const conf = path.join(nginxDir, "nginx.conf");
  const wrapper = path.join(dir, "nginx-wrapper");
  beforeAll(() => {
    for (const sub of ["requests", "results"])
      fs.mkdirSync(path.join(control, sub), { recursive: true });
    fs.mkdirSync(path.join(nginxDir, "logs"), { recursive: true });
    fs.writeFileSync(
      conf,
      `pid ${nginxDir}/nginx.pid;\nerror_log ${nginxDir}/error.log;\nevents {}\n`,
    );
    // the nginx the oneshot runs, pointed at a private configuration
    fs.writeFileSync(
      wrapper,
      `#!/bin/sh\nexec ${process.env.BERTH_TEST_NGINX ?? "/usr/sbin/nginx"} -p ${nginxDir}/ -c ${conf} "$@"\n`,
      { mode: 0o755 },
    );
  });
  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? "",
    BERTH_NGINX_CONTROL: control,
    BERTH_NGINX_BIN: wrapper,
    BERTH_NGINX_GROUP: "root",
    ...extra,
  });

  /** Berth's side, answered by the oneshot once the request file appears (as the path unit does). */
  async function ask(args: string[]) {
    const child = spawn(REQUEST, args, { env: env({ BERTH_NGINX_CONTROL_TIMEOUT: "10" }) });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const requests = path.join(control, "requests");
    for (let i = 0; i < 200 && fs.readdirSync(requests).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const oneshot = spawnSync(RELOAD, [], { env: env(), encoding: "utf8" });
    expect(oneshot.status, oneshot.stderr).toBe(0);
    expect(fs.readdirSync(requests)).toEqual([]);
    return { code: await exited, stderr };
  }

  it.skipIf(!has("nginx") && !process.env.BERTH_TEST_NGINX)(
    "carries nginx -t's exit status and messages back, success and failure",
    async () => {
      const ok = await ask(["-t"]);
      expect(ok.code).toBe(0);
      expect(ok.stderr).toContain("test is successful");

      fs.appendFileSync(conf, "http { nonsense_directive on; }\n");
      const bad = await ask(["-t"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('unknown directive "nonsense_directive"');
    },
  );

  it("answers only well-formed request names, and never through a link", () => {
    const requests = path.join(control, "requests");
    const results = path.join(control, "results");
    const target = path.join(dir, "victim");
    fs.writeFileSync(target, "untouched\n");
    fs.writeFileSync(path.join(requests, "evil$(id).test"), "");
    fs.writeFileSync(path.join(requests, "1-2.shutdown"), "");
    fs.symlinkSync(target, path.join(requests, "3-4.test"));
    fs.mkdirSync(path.join(requests, "5-6.reload"));
    const before = new Set(fs.readdirSync(results));
    const run = spawnSync(RELOAD, [], {
      env: env({ BERTH_NGINX_BIN: "/bin/true" }),
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    expect(fs.readdirSync(requests)).toEqual([]);
    const answered = fs.readdirSync(results).filter((name) => !before.has(name));
    // a link named like a request is still just a name: answered, its target untouched
    expect(answered.sort()).toEqual(["3-4", "5-6"]);
    expect(fs.readFileSync(target, "utf8")).toBe("untouched\n");
  });

  it("gives up at its deadline when nothing answers, and takes its request back", () => {
    const run = spawnSync(REQUEST, ["-s", "reload"], {
      env: env({ BERTH_NGINX_CONTROL_TIMEOUT: "1" }),
      encoding: "utf8",
    });
    expect(run.status).toBe(124);
    expect(run.stderr).toContain("no answer from berth-nginx-reload.service within 1 s");
    expect(fs.readdirSync(path.join(control, "requests"))).toEqual([]);
    expect(spawnSync(REQUEST, ["-x"], { env: env() }).status).toBe(64);
  });
});
