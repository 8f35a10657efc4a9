import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";

// install.sh runs for real, but only in its partial mode: every file goes under a temp
// root, and no package, user, systemctl, journalctl or nginx reload is touched.
const repo = path.resolve(import.meta.dirname, "../..");
const script = path.join(repo, "install.sh");
const partial = ["--no-start", "--no-packages", "--no-user"];
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

const has = (command: string) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-install-"));
  roots.push(root);
  return root;
}

function install(root: string, ...args: string[]) {
  return spawnSync("bash", [script, "--root", root, ...partial, ...args], {
    env: { PATH: process.env.PATH ?? "", LANG: "C" },
    encoding: "utf8",
    timeout: 60_000,
  });
}

function installOk(root: string, ...args: string[]) {
  const run = install(root, ...args);
  // Kept values are reported; so is a Node on PATH that the service could not run.
  expect(run.stderr.replace(/^berth: warning: (keeping|no Node) .*\n/gm, "")).toBe("");
  expect(run.status).toBe(0);
  return run;
}

const at = (root: string, file: string) => path.join(root, file);
const read = (root: string, file: string) => fs.readFileSync(at(root, file), "utf8");
const mode = (root: string, file: string) => fs.statSync(at(root, file)).mode & 0o7777;
const exists = (root: string, file: string) => fs.existsSync(at(root, file));

/** Reads an env file the way systemd's EnvironmentFile= does for the syntax install.sh writes. */
function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return env;
}

const unitLines = (root: string) =>
  read(root, "etc/systemd/system/berth.service")
    .split("\n")
    .filter((line) => line && !line.startsWith("#"));

describe("install.sh, checked statically", () => {
  it("parses with bash -n", () => {
    const run = spawnSync("bash", ["-n", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it.skipIf(!has("shellcheck"))(
    "passes shellcheck (skipped only when shellcheck is absent: apt-get install shellcheck)",
    () => {
      const run = spawnSync("shellcheck", [script], { encoding: "utf8" });
      expect(run.stdout).toBe("");
      expect(run.status).toBe(0);
    },
  );

  it("documents every flag it parses in --help", () => {
    const run = spawnSync("bash", [script, "--help"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    const source = fs.readFileSync(script, "utf8");
    const parsed = [...source.matchAll(/^\s+(--[a-z0-9-]+)\)/gm)].map((m) => m[1] ?? "");
    expect(parsed.length).toBeGreaterThan(10);
    for (const flag of parsed) expect(run.stdout).toMatch(new RegExp(`^\\s+${flag}\\b`, "m"));
  });

  it("refuses unknown flags, --purge without --uninstall, and a first install without --domain", () => {
    const root = tempRoot();
    expect(install(root, "--bogus").stderr).toContain("unknown option --bogus");
    expect(install(root, "--purge").stderr).toContain("--purge goes with --uninstall");
    const bare = install(root);
    expect(bare.status).toBe(1);
    expect(bare.stderr).toContain("--domain is needed");
    expect(fs.readdirSync(root)).toEqual([]);
  });
});

describe("install.sh into a temp root", () => {
  const root = tempRoot();
  let first: ReturnType<typeof install>;
  let envText = "";
  let env: Record<string, string> = {};
  beforeAll(() => {
    first = installOk(root, "--domain", "apps.example.test", "--acme-email", "ops@example.test");
    envText = read(root, "etc/berth/berth.env");
    env = parseEnv(envText);
  });

  it("writes an env file, 0640, that Berth's own config accepts, for nginx through the oneshot", () => {
    expect(first.stdout).toContain("not starting (--no-start)");
    expect(mode(root, "etc/berth/berth.env")).toBe(0o640);
    expect(mode(root, "etc/berth")).toBe(0o750);
    expect(env).toMatchObject({
      BERTH_DATA_DIR: "/var/lib/berth",
      BERTH_HOST: "127.0.0.1",
      BERTH_PORT: "8080",
      BERTH_BASE_DOMAIN: "apps.example.test",
      BERTH_PUBLIC_URL: "http://apps.example.test",
      BERTH_EDGE: "nginx",
      BERTH_ACME_EMAIL: "ops@example.test",
    });
    expect(env.BERTH_SECRET_KEY).toMatch(/^[0-9a-f]{64}$/);
    const config = loadConfig(env);
    expect(config.edge.mode).toBe("nginx");
    expect(config.edge.nginx.command).toEqual(["/opt/berth/bin/berth-nginx-request"]);
    expect(config.edge.nginx.reload).toEqual([
      "/opt/berth/bin/berth-nginx-request",
      "-s",
      "reload",
    ]);
    const v6 = fs.existsSync("/proc/net/if_inet6");
    expect(config.edge.nginx.listenAll).toEqual(v6 ? ["80", "[::]:80"] : ["80"]);
    expect(config.edge.nginx.listenTlsAll).toEqual(v6 ? ["443", "[::]:443"] : ["443"]);
    expect(config.edge.nginx.sitesAvailable).toBe("/etc/nginx/berth/sites-available");
    expect(config.edge.nginx.sitesEnabled).toBe("/etc/nginx/berth/sites-enabled");
  });

  it("writes a hardened unit that runs Node on /opt/berth as berth with the env file", () => {
    const lines = unitLines(root);
    for (const line of [
      "User=berth",
      "Group=berth",
      "EnvironmentFile=/etc/berth/berth.env",
      "WorkingDirectory=/opt/berth",
      "Restart=on-failure",
      "RestartPreventExitStatus=2",
      "UMask=0027",
      "NoNewPrivileges=yes",
      "CapabilityBoundingSet=",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "PrivateDevices=yes",
      "ProtectKernelTunables=yes",
      "ProtectKernelModules=yes",
      "ProtectKernelLogs=yes",
      "ProtectControlGroups=yes",
      "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
      "RestrictNamespaces=user mnt pid ipc uts net cgroup",
      "RestrictSUIDSGID=yes",
      "LockPersonality=yes",
      "SystemCallFilter=@system-service",
      "WantedBy=multi-user.target",
    ]) {
      expect(lines).toContain(line);
    }
    const exec = lines.find((line) => line.startsWith("ExecStart="));
    expect(exec).toMatch(/^ExecStart=\/\S+\/node \/opt\/berth\/src\/main\.ts$/);
    // V8's JIT needs writable executable memory; PrivateUsers= would hide the berth user.
    expect(lines.some((line) => line.startsWith("MemoryDenyWriteExecute="))).toBe(false);
    expect(lines.some((line) => line.startsWith("PrivateUsers="))).toBe(false);
    // Berth can write its data and its vhosts, and nothing else of the system.
    const writable = lines
      .filter((line) => line.startsWith("ReadWritePaths="))
      .flatMap((line) => line.slice("ReadWritePaths=".length).split(" "));
    for (const dir of [
      env.BERTH_DATA_DIR,
      env.BERTH_NGINX_SITES_AVAILABLE,
      env.BERTH_NGINX_SITES_ENABLED,
      "/run/berth-nginx/requests",
    ]) {
      expect(writable).toContain(dir);
    }
  });

  it.skipIf(!has("systemd-analyze"))("writes a unit systemd parses without complaint", () => {
    const unit = at(root, "etc/systemd/system/berth.service");
    const verify = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
    expect(verify.stderr).not.toMatch(/unknown|invalid|failed to parse|ignoring/i);
    const security = spawnSync("systemd-analyze", ["security", "--offline=yes", unit], {
      encoding: "utf8",
    });
    const exposure = /Overall exposure level for berth\.service: ([0-9.]+)/.exec(security.stdout);
    if (security.status === 0 && exposure?.[1]) expect(Number(exposure[1])).toBeLessThan(3.5);
  });

  it("makes the data directory 0710 and lets only nginx's group into sites/ and acme/", () => {
    expect(mode(root, "var/lib/berth")).toBe(0o710);
    expect(mode(root, "var/lib/berth/sites")).toBe(0o2750);
    expect(mode(root, "var/lib/berth/acme")).toBe(0o2750);
    expect(mode(root, "etc/nginx/berth/sites-available")).toBe(0o755);
    expect(mode(root, "etc/nginx/berth/sites-enabled")).toBe(0o755);
    const webGroup = spawnSync("getent", ["group", "www-data"], { encoding: "utf8" });
    if (webGroup.status === 0) {
      const gid = Number(webGroup.stdout.split(":")[2]);
      for (const dir of ["var/lib/berth", "var/lib/berth/sites", "var/lib/berth/acme"]) {
        expect(fs.statSync(at(root, dir)).gid).toBe(gid);
      }
    }
  });

  it("copies the app without its development files", () => {
    for (const file of ["src/main.ts", "bin/berth.js", "package.json", "package-lock.json"]) {
      expect(exists(root, `opt/berth/${file}`)).toBe(true);
    }
    for (const dir of [".git", "node_modules", ".tools", "data", "test"]) {
      expect(exists(root, `opt/berth/${dir}`)).toBe(false);
    }
    expect(fs.statSync(at(root, "opt/berth/src/main.ts")).uid).toBe(0);
    expect(exists(root, "opt/berth.new")).toBe(false);
  });

  it("writes the berth admin command and the nginx proxy for the web UI", () => {
    expect(mode(root, "usr/local/bin/berth")).toBe(0o755);
    const cli = read(root, "usr/local/bin/berth");
    expect(cli).toContain(". /etc/berth/berth.env");
    expect(cli).toMatch(/runuser -u berth -- \/\S+\/node \/opt\/berth\/bin\/berth\.js "\$@"/);
    expect(spawnSync("sh", ["-n", at(root, "usr/local/bin/berth")]).status).toBe(0);

    const conf = read(root, "etc/nginx/conf.d/berth.conf");
    expect(conf).toContain("server_name apps.example.test;");
    expect(conf).toContain("proxy_pass http://127.0.0.1:8080;");
    expect(conf).toContain(`include ${env.BERTH_NGINX_SITES_ENABLED}/*.conf;`);
    // unknown hosts: Berth's own page, on every listen address, plain and TLS
    for (const address of (env.BERTH_NGINX_LISTEN ?? "").split(",")) {
      expect(conf).toContain(`listen ${address};`);
      expect(conf).toContain(`listen ${address} default_server;`);
    }
    for (const address of (env.BERTH_NGINX_LISTEN_TLS ?? "").split(",")) {
      expect(conf).toContain(`listen ${address} ssl default_server;`);
    }
    expect(conf).toContain("error_page 404 /no-such-site.html;");
    expect(conf).toContain("root /opt/berth/public;");
    expect(exists(root, "opt/berth/public/no-such-site.html")).toBe(true);
  });

  it.skipIf(!has("nginx") || !fs.existsSync("/proc/net/if_inet6"))(
    "writes an nginx configuration that nginx -t accepts",
    () => {
      const dir = tempRoot();
      fs.writeFileSync(
        path.join(dir, "nginx.conf"),
        `pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${at(root, "etc/nginx/conf.d/berth.conf")};
}
`,
      );
      const run = spawnSync("nginx", ["-t", "-p", dir, "-c", "nginx.conf"], { encoding: "utf8" });
      expect(run.stderr).toContain("test is successful");
    },
  );

  it("changes nothing on a second run: same env file byte for byte, same secret key", () => {
    const files = [
      "etc/berth/berth.env",
      "etc/systemd/system/berth.service",
      "etc/systemd/system/berth-nginx-reload.service",
      "etc/systemd/system/berth-nginx-reload.path",
      "etc/tmpfiles.d/berth.conf",
      "etc/nginx/conf.d/berth.conf",
      "usr/local/bin/berth",
    ];
    const before = files.map((file) => read(root, file));
    installOk(root, "--domain", "apps.example.test", "--acme-email", "ops@example.test");
    expect(files.map((file) => read(root, file))).toEqual(before);
    expect(mode(root, "etc/berth/berth.env")).toBe(0o640);

    // Other flags on a re-run never overwrite a value; they are reported as kept.
    const again = installOk(root, "--domain", "other.example.test", "--port", "9090");
    expect(again.stderr).toContain("keeping BERTH_BASE_DOMAIN=apps.example.test");
    expect(again.stderr).toContain("keeping BERTH_PORT=8080");
    expect(read(root, "etc/berth/berth.env")).toBe(envText);
  });

  it("appends only the keys an older env file lacks, and keeps a secret key Berth already made", () => {
    const older = envText
      .split("\n")
      .filter((line) => !/^(BERTH_LOG_LEVEL|BERTH_SECRET_KEY)=/.test(line))
      .join("\n")
      .replace(/\n$/, ""); // and no final newline, as hand-edited files sometimes are
    fs.writeFileSync(at(root, "etc/berth/berth.env"), older);
    const existingKey = "ab".repeat(32);
    fs.writeFileSync(at(root, "var/lib/berth/secret.key"), `${existingKey}\n`, { mode: 0o600 });

    installOk(root);
    const text = read(root, "etc/berth/berth.env");
    expect(text).toBe(`${older}\nBERTH_SECRET_KEY=${existingKey}\nBERTH_LOG_LEVEL=info\n`);
    expect(mode(root, "etc/berth/berth.env")).toBe(0o640);
  });
});

describe("install.sh over an install of the sudo era", () => {
  it("moves the nginx commands it wrote then to the oneshot, removes the sudo rule, keeps edits", () => {
    const root = tempRoot();
    installOk(root, "--domain", "apps.example.test");
    const file = at(root, "etc/berth/berth.env");
    const text = read(root, "etc/berth/berth.env")
      .split("\n")
      .filter((line) => !/^BERTH_NGINX_(BIN|RELOAD|LISTEN)=/.test(line))
      .join("\n");
    fs.writeFileSync(
      file,
      `${text}BERTH_NGINX_BIN=/usr/bin/sudo\nBERTH_NGINX_ARGS=-n /usr/sbin/nginx\n` +
        "BERTH_NGINX_RELOAD=/usr/sbin/my-reload\n",
    );
    fs.mkdirSync(at(root, "etc/sudoers.d"), { recursive: true });
    fs.writeFileSync(at(root, "etc/sudoers.d/berth"), "berth ALL=(root) NOPASSWD: x\n");

    const run = installOk(root);
    expect(run.stdout).toContain("updating BERTH_NGINX_BIN");
    const env = parseEnv(read(root, "etc/berth/berth.env"));
    expect(env.BERTH_NGINX_BIN).toBe("/opt/berth/bin/berth-nginx-request");
    expect(env.BERTH_NGINX_ARGS).toBe("");
    // a value the operator chose stays, and is reported as kept
    expect(env.BERTH_NGINX_RELOAD).toBe("/usr/sbin/my-reload");
    expect(run.stderr).toContain("keeping BERTH_NGINX_RELOAD=/usr/sbin/my-reload");
    expect(env.BERTH_NGINX_LISTEN).toMatch(/^80(,\[::\]:80)?$/);

    // the reload command as the sudo-era install.sh wrote it moves too, quoted for sh
    const moved = read(root, "etc/berth/berth.env").replace(
      /^BERTH_NGINX_RELOAD=.*$/m,
      'BERTH_NGINX_RELOAD="/usr/bin/sudo -n /usr/sbin/nginx -s reload"',
    );
    fs.writeFileSync(file, moved);
    installOk(root);
    expect(read(root, "etc/berth/berth.env")).toMatch(
      /^BERTH_NGINX_RELOAD="\/opt\/berth\/bin\/berth-nginx-request -s reload"$/m,
    );
    const sourced = spawnSync(
      "sh",
      ["-c", '. "$1" && printf %s "$BERTH_NGINX_RELOAD"', "sh", file],
      {
        encoding: "utf8",
      },
    );
    expect(sourced.stdout).toBe("/opt/berth/bin/berth-nginx-request -s reload");
    expect(exists(root, "etc/sudoers.d/berth")).toBe(false);
    expect(mode(root, "etc/berth/berth.env")).toBe(0o640);
  });

  it("stops with a message naming BERTH_NGINX_LISTEN when a listen value is wrong", () => {
    const root = tempRoot();
    installOk(root, "--domain", "apps.example.test");
    fs.appendFileSync(at(root, "etc/berth/berth.env"), "BERTH_NGINX_LISTEN=80;[::]:80\n");
    const before = read(root, "etc/nginx/conf.d/berth.conf");
    const run = install(root);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("BERTH_NGINX_LISTEN in /etc/berth/berth.env must be");
    expect(read(root, "etc/nginx/conf.d/berth.conf")).toBe(before);
  });
});

describe("install.sh --uninstall in a temp root", () => {
  it("removes the installation, keeps data and configuration, and --purge removes those too", () => {
    const root = tempRoot();
    // Debian's default site, enabled as the nginx package leaves it
    fs.mkdirSync(at(root, "etc/nginx/sites-available"), { recursive: true });
    fs.mkdirSync(at(root, "etc/nginx/sites-enabled"), { recursive: true });
    fs.writeFileSync(at(root, "etc/nginx/sites-available/default"), "server {}\n");
    fs.symlinkSync(
      "/etc/nginx/sites-available/default",
      at(root, "etc/nginx/sites-enabled/default"),
    );
    const first = installOk(root, "--domain", "apps.example.test");
    expect(first.stdout).toContain("disabling nginx's default site");
    expect(fs.existsSync(at(root, "etc/nginx/sites-enabled/default"))).toBe(false);
    expect(read(root, "etc/nginx/sites-available/default")).toBe("server {}\n");
    // What Berth and an operator would have left behind.
    fs.writeFileSync(at(root, "etc/nginx/berth/sites-available/berth-site.conf"), "server {}\n");
    fs.symlinkSync(
      "../sites-available/berth-site.conf",
      at(root, "etc/nginx/berth/sites-enabled/berth-site.conf"),
    );
    fs.writeFileSync(at(root, "etc/nginx/sites-available/berth-old.conf"), "server {}\n");
    fs.writeFileSync(at(root, "etc/nginx/sites-available/berth.conf"), "map $host $x {}\n");
    fs.mkdirSync(at(root, "etc/sudoers.d"), { recursive: true });
    fs.writeFileSync(at(root, "etc/sudoers.d/berth"), "# an earlier version's rule\n");
    fs.writeFileSync(at(root, "var/lib/berth/berth.db"), "data");
    const envText = read(root, "etc/berth/berth.env");

    const run = install(root, "--uninstall");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    for (const gone of [
      "etc/systemd/system/berth.service",
      "etc/systemd/system/berth-nginx-reload.service",
      "etc/systemd/system/berth-nginx-reload.path",
      "etc/tmpfiles.d/berth.conf",
      "etc/sudoers.d/berth",
      "usr/local/bin/berth",
      "etc/nginx/conf.d/berth.conf",
      "etc/nginx/berth",
      "etc/nginx/sites-available/berth-old.conf",
      "etc/nginx/sites-available/berth.conf",
      "opt/berth",
    ]) {
      expect(exists(root, gone), gone).toBe(false);
    }
    expect(read(root, "etc/nginx/sites-available/default")).toBe("server {}\n");
    // Debian's default site is back, as install.sh found it
    expect(fs.readlinkSync(at(root, "etc/nginx/sites-enabled/default"))).toBe(
      "/etc/nginx/sites-available/default",
    );
    expect(read(root, "var/lib/berth/berth.db")).toBe("data");
    expect(read(root, "etc/berth/berth.env")).toBe(envText);

    // Reinstalling picks the kept configuration up: no --domain needed.
    installOk(root);
    expect(read(root, "etc/berth/berth.env")).toBe(envText);
    expect(exists(root, "etc/systemd/system/berth.service")).toBe(true);

    const purge = install(root, "--uninstall", "--purge");
    expect(purge.stderr).toBe("");
    expect(purge.status).toBe(0);
    for (const gone of ["var/lib/berth", "etc/berth", "opt/berth", "etc/sudoers.d/berth"]) {
      expect(exists(root, gone), gone).toBe(false);
    }
    expect(exists(root, "etc/nginx/sites-available/default")).toBe(true);
  });
});
