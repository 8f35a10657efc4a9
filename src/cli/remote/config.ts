import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where the client talks to and with which key. */
export type Remote = { url: string; token: string };

export type ClientEnv = Record<string, string | undefined>;

/** Bad input on the command line: exit status 2 with the message. */
export class UsageError extends Error {}

export function need(remote: Remote | null): Remote {
  if (remote) return remote;
  throw new UsageError("Not signed in: run berth login <url>, or set BERTH_URL and BERTH_TOKEN.");
}

/** $XDG_CONFIG_HOME/berth/config.json (default ~/.config/berth/config.json). */
export function configFile(env: ClientEnv): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "berth", "config.json");
}

/** The stored login, with BERTH_URL and BERTH_TOKEN taking precedence; null when unknown. */
export function loadRemote(env: ClientEnv): Remote | null {
  let stored: Partial<Remote> = {};
  try {
    stored = JSON.parse(fs.readFileSync(configFile(env), "utf8")) as Partial<Remote>;
  } catch {
    // no login yet: the environment may still say everything
  }
  const url = env.BERTH_URL || stored.url;
  const token = env.BERTH_TOKEN || stored.token;
  return url && token ? { url: normalizeUrl(url), token } : null;
}

/** Writes the login readable by its owner only (0600, in a 0700 directory). */
export function saveRemote(env: ClientEnv, remote: Remote): string {
  const file = configFile(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(remote, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

export function normalizeUrl(url: string): string {
  const u = new URL(url.includes("://") ? url : `https://${url}`);
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new Error(`${url} is not an http(s) address.`);
  }
  return u.origin + u.pathname.replace(/\/+$/, "");
}
