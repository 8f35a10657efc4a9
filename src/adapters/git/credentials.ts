import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { unprocessable } from "../../domain/errors.ts";
import type { RepoUrl } from "./url.ts";

/** A plain string or anything that reveals one (services/secrets.ts `Secret`). */
export type SecretText = string | { reveal(): string };

export type GitCredentials =
  /** An access token for https; GitHub and GitLab accept it as a Basic password. */
  | { kind: "token"; token: SecretText; username?: string }
  /** A deploy key for ssh; `knownHosts` (known_hosts lines) pins the host key when given. */
  | { kind: "ssh_key"; privateKey: SecretText; knownHosts?: string };

export type GitAuth = {
  /** Variables to add to git's environment. */
  env: Record<string, string>;
  /** Values to mask in git's output. */
  secrets: string[];
  /** Removes the temporary key directory, if one was made. */
  cleanup(): Promise<void>;
};

const reveal = (s: SecretText) => (typeof s === "string" ? s : s.reveal());

/** Visible ASCII only: a token with CR/LF in it would add headers to the request. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** Single-quotes a value for the one string git hands to a shell (GIT_SSH_COMMAND). */
export const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * Credentials for one checkout, kept out of argv (visible in `ps`) and out of the work
 * tree (the build's commands can read it, and it may end up in an artifact).
 *
 * - token (https): an `http.<origin>/.extraHeader` passed through GIT_CONFIG_COUNT /
 *   GIT_CONFIG_KEY_0 / GIT_CONFIG_VALUE_0 (environment-only config, never written to
 *   .git/config), scoped to the repository's origin so a redirect to another host does
 *   not carry it: `Authorization: Basic base64(username:token)`, username "x-access-token"
 *   by default (GitHub and GitLab accept any name with a token; GitLab deploy tokens need
 *   their own name).
 * - ssh_key (ssh): the key written 0600 in a fresh 0700 directory under `tempRoot`, and
 *   GIT_SSH_COMMAND naming it. git runs that value through /bin/sh, which is why every
 *   path in it is single-quoted; the paths are Berth's own mkdtemp names, never user text.
 *   `-F /dev/null` ignores the Berth user's ~/.ssh/config, IdentitiesOnly keeps its keys
 *   and agent out, BatchMode never prompts. Without `knownHosts` the host key is accepted
 *   on first sight into a throwaway known_hosts (trust on first use, every time).
 */
export async function prepareAuth(
  repo: RepoUrl,
  credentials: GitCredentials | undefined,
  tempRoot: string = os.tmpdir(),
): Promise<GitAuth> {
  const none: GitAuth = { env: {}, secrets: [], cleanup: async () => {} };
  if (repo.kind === "ssh" && credentials?.kind !== "ssh_key") {
    throw unprocessable(
      "credentials_required",
      "An ssh repository needs a deploy key.",
      "credential",
    );
  }
  if (!credentials) return none;
  if (credentials.kind === "token") {
    if (repo.kind !== "https") {
      throw unprocessable(
        "credentials_mismatch",
        "An access token works only with an https:// repository URL.",
        "credential",
      );
    }
    return tokenAuth(repo.url, reveal(credentials.token), credentials.username);
  }
  if (repo.kind !== "ssh") {
    throw unprocessable(
      "credentials_mismatch",
      "A deploy key works only with an ssh repository URL.",
      "credential",
    );
  }
  return sshAuth(reveal(credentials.privateKey), credentials.knownHosts, tempRoot);
}

function tokenAuth(url: string, token: string, username = "x-access-token"): GitAuth {
  if (!HEADER_SAFE.test(token)) {
    throw unprocessable(
      "invalid_token",
      "The access token has spaces or control characters.",
      "credential",
    );
  }
  if (!HEADER_SAFE.test(username) || username.includes(":")) {
    throw unprocessable("invalid_token", "The token's user name is not usable.", "credential");
  }
  const basic = Buffer.from(`${username}:${token}`).toString("base64");
  return {
    env: {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: `http.${new URL(url).origin}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    },
    secrets: [token, basic],
    cleanup: async () => {},
  };
}

async function sshAuth(
  key: string,
  knownHosts: string | undefined,
  tempRoot: string,
): Promise<GitAuth> {
  const pem = `${key.replaceAll("\r\n", "\n").trim()}\n`;
  if (!pem.startsWith("-----BEGIN ") || pem.includes("\0")) {
    throw unprocessable(
      "invalid_deploy_key",
      "The deploy key is not a private key in PEM/OpenSSH form.",
      "credential",
    );
  }
  const dir = await fs.mkdtemp(path.join(tempRoot, "berth-git-"));
  try {
    const keyFile = path.join(dir, "deploy_key");
    const knownFile = path.join(dir, "known_hosts");
    await fs.writeFile(keyFile, pem, { mode: 0o600, flag: "wx" });
    await fs.writeFile(knownFile, knownHosts ?? "", { mode: 0o600, flag: "wx" });
    const command = [
      "ssh",
      "-F /dev/null",
      `-i ${shellQuote(keyFile)}`,
      "-o IdentitiesOnly=yes",
      "-o IdentityAgent=none",
      "-o BatchMode=yes",
      `-o StrictHostKeyChecking=${knownHosts ? "yes" : "accept-new"}`,
      `-o UserKnownHostsFile=${shellQuote(knownFile)}`,
    ].join(" ");
    // the body lines too, in case something prints the key without its framing
    const lines = pem.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"));
    return {
      env: { GIT_SSH_COMMAND: command, GIT_SSH_VARIANT: "ssh" },
      secrets: [pem.trim(), ...lines],
      cleanup: () => fs.rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}
