import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fillNpmCache, NODE_DIR, NPM_CACHE, prepareFixtures } from "../helpers/install-fixtures.ts";
import { bootMachine, canBoot, type Machine } from "../helpers/nspawn.ts";

// install.sh for real, under real systemd: one machine booted with systemd-nspawn over an
// overlay of this host (loopback only), one flow through it: install, start, set up,
// create a service, deploy, add a domain (nginx tested and reloaded by the root oneshot),
// a refused domain (the old vhost stays served), the build sandbox inside the unit's
// restrictions, an upgrade with new dependencies, an upgrade that fails and is rolled
// back, uninstall. npm runs offline from a cache filled here first.
const DOMAIN = "apps.test";
const SITE = `production--site.${DOMAIN}`;

let m: Machine;
let key = "";

/** install.sh inside the machine: Node from this host's PATH, npm from the cache only. */
function installSh(source: string, ...args: string[]) {
  return m.run(["bash", `${source}/install.sh`, "--source", source, ...args], {
    env: {
      PATH: `${NODE_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      npm_config_cache: NPM_CACHE,
      npm_config_offline: "true",
    },
    timeoutMs: 150_000,
  });
}

/** curl inside the machine: status and body. */
function curl(url: string, ...args: string[]) {
  const r = m.run(["curl", "-sS", "-g", "-o", "-", "-w", "\n%{http_code}", ...args, url]);
  const cut = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut), err: r.stderr };
}

const api = (p: string, ...args: string[]) =>
  curl(`http://127.0.0.1:8080/api/v1${p}`, "-H", `Authorization: Bearer ${key}`, ...args);
const postJson = (p: string, body: unknown) =>
  api(p, "-X", "POST", "-H", "Content-Type: application/json", "-d", JSON.stringify(body));
const site = (host: string, address = "127.0.0.1") =>
  curl(`http://${address.includes(":") ? `[${address}]` : address}/`, "-H", `Host: ${host}`);

/** Polls `check` for up to 5 s (synchronously: every step here is a child process). */
function eventually(check: () => boolean): boolean {
  for (let i = 0; i < 50; i++) {
    if (check()) return true;
    spawnSync("sleep", ["0.1"]);
  }
  return check();
}

const reloadJournal = () =>
  m.run(["journalctl", "-u", "berth-nginx-reload.*", "-u", "berth", "-n", "40", "--no-pager"])
    .stdout;

// The machine is this host's root: what install.sh would fetch with apt must be here
// already (it has no network), as on a server where the packages are installed.
const hostReady = () =>
  canBoot() &&
  ["/usr/sbin/nginx", "/usr/bin/bwrap", "/usr/bin/curl", "/usr/bin/git", "/usr/bin/npm"].every(
    (file) => fs.existsSync(file),
  );

describe.skipIf(!hostReady())("install.sh under real systemd (systemd-nspawn --boot)", () => {
  beforeAll(async () => {
    fillNpmCache();
    m = await bootMachine(prepareFixtures);
  }, 240_000);
  afterAll(async () => {
    await m?.stop();
  }, 30_000);

  it("installs and starts: Berth healthy, without privileges, Debian's default site off", () => {
    const run = installSh("/srv/berth-v1", "--domain", DOMAIN);
    expect(run.stderr.replace(/^berth: (installing|warning: keeping).*\n/gm, "")).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Berth is up at http://apps.test");
    expect(run.stdout).toMatch(/create the first owner at: http:\/\/apps\.test\/setup\?token=/);

    for (const unit of ["berth.service", "berth-nginx-reload.path", "nginx.service"]) {
      expect(m.run(["systemctl", "is-active", unit]).stdout.trim(), unit).toBe("active");
    }
    // The issue this design answers: with User= set, hardening forces no_new_privs, so
    // Berth must not need privileges; it has none.
    const pid = m.run(["systemctl", "show", "-p", "MainPID", "--value", "berth"]).stdout.trim();
    const status = m.run(["cat", `/proc/${pid}/status`]).stdout;
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^CapEff:\s+0{16}$/m);
    expect(status).toMatch(/^CapBnd:\s+0{16}$/m);
    expect(m.run(["stat", "-c", "%a %G", "/var/lib/berth"]).stdout.trim()).toBe("710 www-data");
    expect(m.run(["test", "-e", "/etc/nginx/sites-enabled/default"]).status).toBe(1);
    // unknown hosts: Berth's page, on IPv4 and IPv6
    for (const address of ["127.0.0.1", "::1"]) {
      const unknown = site("nobody.example.test", address);
      expect(unknown.status, unknown.err).toBe(404);
      expect(unknown.body).toContain("No such site");
    }
  }, 180_000);

  it("sets up an owner and a key with the berth command", () => {
    const add = m.run(["berth", "user", "add", "ops@example.test", "--role", "owner"], {
      input: "a long enough passphrase\n",
    });
    expect(add.stderr).toBe("");
    expect(add.status).toBe(0);
    const created = m.run([
      "berth",
      "key",
      "create",
      "--user",
      "ops@example.test",
      "--scope",
      "admin",
    ]);
    expect(created.status).toBe(0);
    key = created.stdout.trim();
    expect(key).toMatch(/^berth_/);
  }, 60_000);

  it("creates a service and deploys it: nginx tested and reloaded by the oneshot, IPv4 and IPv6", () => {
    const created = postJson("/services", { name: "site", environments: ["production"] });
    expect(created.status, created.body).toBe(201);
    const upload = api(
      "/services/site/environments/production/deployments",
      "-X",
      "POST",
      "-F",
      "bundle=@/srv/site.zip;type=application/zip",
    );
    expect(upload.status, upload.body).toBe(202);
    const id = (JSON.parse(upload.body) as { id: string }).id;
    let state = "";
    for (let i = 0; i < 300 && !["live", "failed"].includes(state); i++) {
      state = (JSON.parse(api(`/deployments/${id}`).body) as { status: string }).status;
      if (state !== "live") spawnSync("sleep", ["0.1"]);
    }
    expect(state).toBe("live");
    for (const address of ["127.0.0.1", "::1"]) {
      const r = site(SITE, address);
      expect(r.status, r.err).toBe(200);
      expect(r.body).toBe("<h1>hello from systemd</h1>");
    }
    const journal = m.run(["journalctl", "-u", "berth-nginx-reload", "-o", "cat", "--no-pager"]);
    expect(journal.stdout).toMatch(/nginx -t exited with 0/);
    expect(journal.stdout).toMatch(/nginx -s reload exited with 0/);
  }, 60_000);

  it("adds a domain, and refuses one nginx rejects while the site keeps being served", () => {
    const added = postJson("/services/site/environments/production/domains", {
      hostname: "shop.example.test",
    });
    expect(added.status, `${added.body}${added.err}\n${reloadJournal()}`).toBe(201);
    expect(site("shop.example.test").body).toBe("<h1>hello from systemd</h1>");

    // another server on this nginx already claims the name: nginx -t warns, Berth reads it
    // back from the oneshot's answer and puts its previous vhost back
    fs.writeFileSync(
      path.join(m.root, "etc/nginx/conf.d/zz-other.conf"),
      "server { listen 80; server_name taken.example.test; return 204; }\n",
    );
    expect(m.run(["systemctl", "reload", "nginx"]).status).toBe(0);
    expect(eventually(() => site("taken.example.test").status === 204)).toBe(true);
    const vhost = "/etc/nginx/berth/sites-available/berth-site--production.conf";
    const before = m.run(["cat", vhost]).stdout;
    const refused = postJson("/services/site/environments/production/domains", {
      hostname: "taken.example.test",
    });
    expect(refused.status, refused.body).toBe(409);
    expect(refused.body).toContain("taken.example.test");
    expect(m.run(["cat", vhost]).stdout).toBe(before);
    expect(site("shop.example.test").body).toBe("<h1>hello from systemd</h1>");
    expect(eventually(() => site("taken.example.test").status === 204)).toBe(true);
  }, 60_000);

  it("builds from git in Berth's sandbox (bubblewrap) inside the unit, and serves it", () => {
    expect(m.run(["chown", "-R", "berth:berth", "/srv/git/origin.git"]).status).toBe(0);
    expect(postJson("/services", { name: "built" }).status).toBe(201);
    const source = api(
      "/services/built/source",
      "-X",
      "PUT",
      "-H",
      "Content-Type: application/json",
      "-d",
      JSON.stringify({
        repoUrl: "file:///srv/git/origin.git",
        commands: ["sh build.sh"],
        outputDir: "dist",
        branches: { main: "production" },
      }),
    );
    expect(source.status, source.body).toBe(200);
    const queued = postJson("/services/built/builds", { ref: "main" });
    const id = (JSON.parse(queued.body) as { id: string }).id;
    let build = { status: "queued" };
    for (let i = 0; i < 600 && ["queued", "running"].includes(build.status); i++) {
      spawnSync("sleep", ["0.1"]);
      build = JSON.parse(api(`/builds/${id}`).body) as { status: string };
    }
    const log = api(`/builds/${id}/log`).body;
    expect(build.status, log).toBe("succeeded");
    expect(log).not.toContain("BERTH_SANDBOX=off");
    // as nobody, in /work, without Berth's data: the sandbox, under every restriction
    expect(
      eventually(() =>
        site(`production--built.${DOMAIN}`).body.includes("<p>65534 /work/src data:absent</p>"),
      ),
    ).toBe(true);
  }, 90_000);

  it("runs bubblewrap as berth under exactly the unit's properties (systemd-run -p)", () => {
    const unit = m.run(["cat", "/etc/systemd/system/berth.service"]).stdout;
    const service = unit.slice(unit.indexOf("[Service]"), unit.indexOf("[Install]"));
    const skip =
      /^(Type|EnvironmentFile|WorkingDirectory|ExecStart|Restart|RestartSec|RestartPreventExitStatus)=/;
    const props = service
      .split("\n")
      .filter((line) => /^[A-Z][A-Za-z]+=/.test(line) && !skip.test(line))
      .flatMap((line) => ["-p", line]);
    expect(props).toContain("NoNewPrivileges=yes");
    const run = m.run([
      "systemd-run",
      "--wait",
      "--pipe",
      "--quiet",
      ...props,
      "bwrap",
      "--unshare-all",
      "--share-net",
      "--ro-bind",
      "/",
      "/",
      "--proc",
      "/proc",
      "--dev",
      "/dev",
      "--tmpfs",
      "/tmp",
      "--",
      "sh",
      "-c",
      "id -un; grep NoNewPrivs /proc/self/status; touch /tmp/x && echo writable-tmp",
    ]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^berth\nNoNewPrivs:\s+1\nwritable-tmp\n$/);
    expect(run.status).toBe(0);
  }, 60_000);

  it("upgrades to a version with a new dependency, keeping the data", () => {
    const run = installSh("/srv/berth-v2");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("installing npm dependencies");
    expect(run.stdout).toContain("Berth is up");
    expect(m.run(["cat", "/opt/berth/node_modules/berth-upgrade-probe/index.js"]).stdout).toContain(
      "probe",
    );
    expect(m.run(["test", "-e", "/opt/berth.old"]).status).toBe(1);
    expect(api("/services/site").status).toBe(200);
    expect(site(SITE).body).toBe("<h1>hello from systemd</h1>");
  }, 180_000);

  it("rolls an upgrade back when the new version does not start", () => {
    const run = installSh("/srv/berth-v3");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("rolling back to the previous one");
    expect(run.stderr).toContain("the previous one runs again");
    expect(m.run(["grep", "-c", "cannot start", "/opt/berth/src/main.ts"]).stdout.trim()).toBe("0");
    expect(m.run(["systemctl", "is-active", "berth"]).stdout.trim()).toBe("active");
    expect(curl("http://127.0.0.1:8080/healthz").status).toBe(200);
    expect(api("/services/site").status).toBe(200);
  }, 180_000);

  it("uninstalls: services gone, nginx back to Debian's default site, data kept", () => {
    const run = m.run(["bash", "/srv/berth-v2/install.sh", "--uninstall"]);
    expect(run.status, run.stderr).toBe(0);
    expect(m.run(["systemctl", "is-active", "berth"]).stdout.trim()).not.toBe("active");
    expect(m.run(["systemctl", "is-enabled", "berth-nginx-reload.path"]).status).not.toBe(0);
    expect(m.run(["systemctl", "is-active", "nginx"]).stdout.trim()).toBe("active");
    expect(m.run(["test", "-L", "/etc/nginx/sites-enabled/default"]).status).toBe(0);
    // nginx reloads asynchronously: old workers may answer a moment longer
    expect(eventually(() => !site(SITE).body.includes("hello from systemd"))).toBe(true);
    expect(eventually(() => !site("nobody.example.test").body.includes("No such site"))).toBe(true);
    expect(m.run(["test", "-f", "/var/lib/berth/berth.db"]).status).toBe(0);
  }, 60_000);
});
