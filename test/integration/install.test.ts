import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import {
  at,
  exists,
  has,
  install,
  installOk,
  mode,
  parseEnv,
  read,
  removeTempRoots,
  script,
  tempRoot,
} from "../helpers/install-root.ts";

// install.sh runs for real, in its partial mode (see helpers/install-root.ts); upgrades
// and uninstall are in install-upgrade.test.ts, the units in install-units.test.ts, and
// the whole flow under real systemd in install-systemd.test.ts.
afterAll(removeTempRoots);

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
