import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import AdmZip from "adm-zip";
import { createBareRepo } from "./bare-repo.ts";

// What the boot test of install.sh (test/integration/install-systemd.test.ts) installs:
// this checkout as three versions, a git source, a bundle; and npm's cache, since the
// machine has no network.
const repo = path.resolve(import.meta.dirname, "../..");
/** A Node >= 22.19 for install.sh to find on PATH: the one running the tests. */
export const NODE_DIR = path.dirname(process.execPath);
export const NPM_CACHE = "/var/tmp/berth-npm-cache";

/** A copy of this checkout (what install.sh copies), placed inside the machine. */
function copySource(dest: string) {
  fs.mkdirSync(dest, { recursive: true });
  const tar = spawnSync(
    "sh",
    [
      "-c",
      'tar -C "$1" -cf - --anchored --exclude=./.git --exclude=./node_modules --exclude=./.tools ' +
        '--exclude=./data --exclude=./coverage --exclude=./.bench . | tar -C "$2" -xf -',
      "sh",
      repo,
      dest,
    ],
    { encoding: "utf8" },
  );
  if (tar.status !== 0) throw new Error(tar.stderr);
}

/** Fills the npm cache with the locked dependencies (from the registry, once per lock). */
export function fillNpmCache() {
  const lock = fs.readFileSync(path.join(repo, "package-lock.json"));
  const stamp = path.join(
    NPM_CACHE,
    `berth-${crypto.createHash("sha256").update(lock).digest("hex").slice(0, 16)}`,
  );
  if (fs.existsSync(stamp)) return;
  const dir = fs.mkdtempSync("/var/tmp/berth-npm-fill-");
  for (const f of ["package.json", "package-lock.json"])
    fs.copyFileSync(path.join(repo, f), path.join(dir, f));
  const r = spawnSync(
    "npm",
    [
      "install",
      "--omit=dev",
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      "--cache",
      NPM_CACHE,
    ],
    {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PATH: `${NODE_DIR}:${process.env.PATH}` },
    },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`npm could not fill ${NPM_CACHE}:\n${r.stderr}`);
  fs.writeFileSync(stamp, "");
}

/** The next version: a new dependency in package.json (a local tarball: no registry). */
function makeUpgrade(dest: string) {
  copySource(dest);
  const pkg = path.join(dest, "vendor/package");
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(pkg, "package.json"),
    JSON.stringify({ name: "berth-upgrade-probe", version: "1.0.0", main: "index.js" }),
  );
  fs.writeFileSync(path.join(pkg, "index.js"), "module.exports = 'probe';\n");
  const tar = spawnSync("tar", [
    "-C",
    path.join(dest, "vendor"),
    "-czf",
    path.join(dest, "vendor/probe.tgz"),
    "package",
  ]);
  if (tar.status !== 0) throw new Error("tar failed");
  fs.rmSync(pkg, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dest, "package.json"), "utf8"));
  manifest.dependencies["berth-upgrade-probe"] = "file:vendor/probe.tgz";
  fs.writeFileSync(path.join(dest, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Under the machine's /srv: berth-v1 (this checkout), berth-v2 (plus a dependency),
 * berth-v3 (v2 that cannot start), git/origin.git (a source whose build reports who runs
 * it and whether Berth's data is visible) and site.zip.
 */
export function prepareFixtures(root: string) {
  makeUpgrade(path.join(root, "srv/berth-v2"));
  copySource(path.join(root, "srv/berth-v1"));
  // v3: the same as v2 but it cannot start
  copySource(path.join(root, "srv/berth-v3"));
  for (const f of ["package.json", "vendor/probe.tgz"]) {
    fs.mkdirSync(path.dirname(path.join(root, "srv/berth-v3", f)), { recursive: true });
    fs.copyFileSync(path.join(root, "srv/berth-v2", f), path.join(root, "srv/berth-v3", f));
  }
  fs.writeFileSync(
    path.join(root, "srv/berth-v3/src/main.ts"),
    'throw new Error("this version cannot start");\n',
  );
  // a git source whose build reports who runs it and whether Berth's data is visible
  createBareRepo(path.join(root, "srv/git"), {
    "build.sh":
      "mkdir -p dist\nif [ -e /var/lib/berth/berth.db ]; then data=seen; else data=absent; fi\n" +
      'echo "<p>$(id -u) $(pwd) data:$data</p>" > dist/index.html\n',
  });
  const zip = new AdmZip();
  zip.addFile("index.html", Buffer.from("<h1>hello from systemd</h1>"));
  fs.writeFileSync(path.join(root, "srv/site.zip"), zip.toBuffer());
}
