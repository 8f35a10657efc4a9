import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";

// install.sh run for real in its partial mode: every file goes under a temp root, and no
// package, user, systemctl, journalctl or nginx reload is touched.
export const repo = path.resolve(import.meta.dirname, "../..");
export const script = path.join(repo, "install.sh");
const partial = ["--no-start", "--no-packages", "--no-user"];
const roots: string[] = [];

/** Call in afterAll: removes every root tempRoot() made. */
export function removeTempRoots() {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
}

export const has = (command: string) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

export function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-install-"));
  roots.push(root);
  return root;
}

export function install(root: string, ...args: string[]) {
  return spawnSync("bash", [script, "--root", root, ...partial, ...args], {
    env: { PATH: process.env.PATH ?? "", LANG: "C" },
    encoding: "utf8",
    timeout: 60_000,
  });
}

export function installOk(root: string, ...args: string[]) {
  const run = install(root, ...args);
  // Kept values are reported; so is a Node on PATH that the service could not run.
  expect(run.stderr.replace(/^berth: warning: (keeping|no Node) .*\n/gm, "")).toBe("");
  expect(run.status).toBe(0);
  return run;
}

export const at = (root: string, file: string) => path.join(root, file);
export const read = (root: string, file: string) => fs.readFileSync(at(root, file), "utf8");
export const mode = (root: string, file: string) => fs.statSync(at(root, file)).mode & 0o7777;
export const exists = (root: string, file: string) => fs.existsSync(at(root, file));

/** Reads an env file the way systemd's EnvironmentFile= does for the syntax install.sh writes. */
export function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return env;
}
