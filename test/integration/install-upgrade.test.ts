import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  at,
  exists,
  install,
  installOk,
  mode,
  parseEnv,
  read,
  removeTempRoots,
  tempRoot,
} from "../helpers/install-root.ts";

// install.sh over an earlier install, and --uninstall, in temp roots (helpers/install-root.ts).
afterAll(removeTempRoots);

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
