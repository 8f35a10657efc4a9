import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkout, gitMessage } from "../../src/adapters/git/checkout.ts";
import { cloneArgv, headArgv } from "../../src/adapters/git/commands.ts";
import { prepareAuth, shellQuote } from "../../src/adapters/git/credentials.ts";
import { parseRepoUrl } from "../../src/adapters/git/url.ts";
import type { RunOptions, RunResult } from "../../src/adapters/process/run.ts";
import { DomainError } from "../../src/domain/errors.ts";
import { Secret } from "../../src/services/core/secrets.ts";

const PREFIX = (kind: string, dir: string) => [
  "git",
  "-c",
  "protocol.allow=never",
  "-c",
  `protocol.${kind}.allow=always`,
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "advice.detachedHead=false",
  "-c",
  "init.defaultBranch=berth",
  "-C",
  dir,
];

describe("cloneArgv", () => {
  it("builds init, remote add, a shallow fetch of one ref and a detached checkout", () => {
    const git = PREFIX("https", "/b/1");
    expect(
      cloneArgv({ url: "https://github.com/acme/site.git", ref: "main", dir: "/b/1", depth: 1 }),
    ).toEqual([
      [...git, "init", "--quiet", "--template="],
      [...git, "remote", "add", "--", "origin", "https://github.com/acme/site.git"],
      [
        ...git,
        "fetch",
        "--no-tags",
        "--no-recurse-submodules",
        "--depth=1",
        "--",
        "origin",
        "main",
      ],
      [...git, "checkout", "--quiet", "--detach", "FETCH_HEAD", "--"],
    ]);
  });

  it("allows only the transport the URL names", () => {
    const [init] = cloneArgv({ url: "git@github.com:acme/site.git", ref: "v1", dir: "/b/2" });
    expect(init).toContain("protocol.ssh.allow=always");
    const [local] = cloneArgv({ url: "/srv/site.git", ref: "v1", dir: "/b/2" });
    expect(local).toContain("protocol.file.allow=always");
    expect(local).not.toContain("protocol.https.allow=always");
  });

  it("fetches a full commit id like any ref", () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const fetch = cloneArgv({ url: "/srv/site.git", ref: sha, dir: "/b/3" })[2];
    expect(fetch?.slice(-3)).toEqual(["--", "origin", sha]);
  });

  it("refuses an option-like ref or URL, a relative dir and a bad depth", () => {
    const spec = { url: "/srv/site.git", ref: "main", dir: "/b/4" };
    expect(() => cloneArgv({ ...spec, ref: "--upload-pack=evil" })).toThrow(
      expect.objectContaining({ code: "invalid_ref" }),
    );
    expect(() => cloneArgv({ ...spec, url: "--upload-pack=evil" })).toThrow(
      expect.objectContaining({ code: "invalid_repository" }),
    );
    expect(() => cloneArgv({ ...spec, url: "ext::sh -c evil" })).toThrow(DomainError);
    expect(() => cloneArgv({ ...spec, dir: "b/4" })).toThrow(/absolute/);
    expect(() => cloneArgv({ ...spec, depth: 0 })).toThrow(DomainError);
  });

  it("reads the commit back with a NUL-separated format", () => {
    expect(headArgv("file", "/b/5").slice(-6)).toEqual([
      "log",
      "-1",
      "--no-color",
      "--format=%H%x00%an <%ae>%x00%B",
      "HEAD",
      "--",
    ]);
  });
});

describe("prepareAuth", () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-auth-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const https = parseRepoUrl("https://gitlab.example.com:8443/acme/site.git");
  const ssh = parseRepoUrl("git@github.com:acme/site.git");
  const local = parseRepoUrl("/srv/site.git");

  it("passes a token as an origin-scoped header through environment-only config", async () => {
    const token = "glpat-abcdefghijklmnop";
    const auth = await prepareAuth(https, { kind: "token", token: new Secret(token) }, tmp);
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    expect(auth.env).toEqual({
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.https://gitlab.example.com:8443/.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    });
    expect(auth.secrets).toEqual([token, basic]);
    expect(fs.readdirSync(tmp)).toEqual([]);
    await auth.cleanup();
  });

  it("uses the given user name (GitLab deploy tokens)", async () => {
    const auth = await prepareAuth(
      https,
      { kind: "token", token: "t0ken", username: "gitlab+deploy-token-1" },
      tmp,
    );
    const value = auth.env.GIT_CONFIG_VALUE_0 ?? "";
    expect(Buffer.from(value.replace("Authorization: Basic ", ""), "base64").toString()).toBe(
      "gitlab+deploy-token-1:t0ken",
    );
  });

  it("refuses a token that could inject a header", async () => {
    await expect(
      prepareAuth(https, { kind: "token", token: "abc\r\nX-Evil: 1" }, tmp),
    ).rejects.toMatchObject({ code: "invalid_token" });
    await expect(
      prepareAuth(https, { kind: "token", token: "abcd", username: "a:b" }, tmp),
    ).rejects.toMatchObject({ code: "invalid_token" });
  });

  it("writes a deploy key 0600 in a private temp dir, and removes it", async () => {
    const key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\r\n-----END OPENSSH PRIVATE KEY-----";
    const auth = await prepareAuth(ssh, { kind: "ssh_key", privateKey: new Secret(key) }, tmp);
    const [dir] = fs.readdirSync(tmp);
    const keyDir = path.join(tmp, dir ?? "");
    const keyFile = path.join(keyDir, "deploy_key");
    expect(fs.statSync(keyDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile, "utf8")).toBe(`${key.replaceAll("\r\n", "\n")}\n`);
    expect(auth.env.GIT_SSH_COMMAND).toBe(
      `ssh -F /dev/null -i ${shellQuote(keyFile)} -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${shellQuote(path.join(keyDir, "known_hosts"))}`,
    );
    expect(auth.secrets).toContain("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ");
    await auth.cleanup();
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it("pins the host key when known_hosts lines are given", async () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";
    const knownHosts =
      "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n";
    const auth = await prepareAuth(ssh, { kind: "ssh_key", privateKey: key, knownHosts }, tmp);
    expect(auth.env.GIT_SSH_COMMAND).toContain("StrictHostKeyChecking=yes");
    const [dir] = fs.readdirSync(tmp);
    expect(fs.readFileSync(path.join(tmp, dir ?? "", "known_hosts"), "utf8")).toBe(knownHosts);
    await auth.cleanup();
  });

  it("quotes paths for the shell git runs GIT_SSH_COMMAND with", () => {
    expect(shellQuote("/tmp/it's here")).toBe(`'/tmp/it'\\''s here'`);
  });

  it("refuses credentials that do not fit the URL", async () => {
    await expect(prepareAuth(ssh, { kind: "token", token: "abcd" }, tmp)).rejects.toMatchObject({
      code: "credentials_required",
    });
    await expect(prepareAuth(local, { kind: "token", token: "abcd" }, tmp)).rejects.toMatchObject({
      code: "credentials_mismatch",
    });
    await expect(
      prepareAuth(https, { kind: "ssh_key", privateKey: "-----BEGIN x" }, tmp),
    ).rejects.toMatchObject({ code: "credentials_mismatch" });
    await expect(prepareAuth(ssh, undefined, tmp)).rejects.toMatchObject({
      code: "credentials_required",
    });
    await expect(
      prepareAuth(ssh, { kind: "ssh_key", privateKey: "not a key" }, tmp),
    ).rejects.toMatchObject({ code: "invalid_deploy_key" });
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it("needs nothing for a public https or local repository", async () => {
    expect((await prepareAuth(local, undefined, tmp)).env).toEqual({});
    expect((await prepareAuth(https, undefined, tmp)).env).toEqual({});
  });
});

describe("checkout with a recording runner", () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-co-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const sha = "0123456789abcdef0123456789abcdef01234567";
  function recorder(calls: RunOptions[]) {
    return async (opts: RunOptions): Promise<RunResult> => {
      calls.push(opts);
      if (opts.argv.includes("log")) {
        opts.onOutput({
          stream: "stdout",
          text: `${sha}\0Ada <ada@example.com>\0Subject\n\nBody\n\n`,
        });
      }
      return {
        exitCode: 0,
        signal: null,
        timedOut: false,
        cancelled: false,
        outputTruncated: false,
        durationMs: 1,
      };
    };
  }

  it("keeps the token out of every argv and hands it over for masking", async () => {
    const calls: RunOptions[] = [];
    const token = "ghp_tokenvalue1234567890";
    const result = await checkout({
      url: "https://github.com/acme/site.git",
      ref: "main",
      dir: path.join(tmp, "work"),
      credentials: { kind: "token", token },
      env: { PATH: "/usr/bin:/bin", GIT_DIR: "/elsewhere" },
      onOutput: () => {},
      run: recorder(calls),
    });
    expect(result).toEqual({
      commit: sha,
      author: "Ada <ada@example.com>",
      message: "Subject\n\nBody",
    });
    expect(calls.map((c) => c.argv.slice(13, 14)[0])).toEqual([
      "init",
      "remote",
      "fetch",
      "checkout",
      "log",
    ]);
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    for (const call of calls) {
      expect(call.argv.join(" ")).not.toContain(token);
      expect(call.argv.join(" ")).not.toContain(basic);
      expect(call.secrets).toEqual(expect.arrayContaining([token, basic]));
      expect(call.env).toMatchObject({
        GIT_TERMINAL_PROMPT: "0",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_COUNT: "1",
      });
      expect(call.env.GIT_DIR).toBeUndefined();
      expect(call.cwd).toBe(path.join(tmp, "work"));
    }
  });

  it("adds a private CA after the token's config entry", async () => {
    const calls: RunOptions[] = [];
    await checkout({
      url: "https://git.internal/acme/site.git",
      ref: "main",
      dir: path.join(tmp, "work"),
      credentials: { kind: "token", token: "abcd1234" },
      sslCaFile: "/etc/berth/ca.pem",
      env: {},
      onOutput: () => {},
      run: recorder(calls),
    });
    expect(calls[0]?.env).toMatchObject({
      GIT_CONFIG_COUNT: "2",
      GIT_CONFIG_KEY_1: "http.sslCAInfo",
      GIT_CONFIG_VALUE_1: "/etc/berth/ca.pem",
    });
  });

  it("refuses a bad ref or URL before running anything", async () => {
    const calls: RunOptions[] = [];
    const base = { dir: path.join(tmp, "work"), env: {}, onOutput: () => {}, run: recorder(calls) };
    await expect(
      checkout({ ...base, url: "/srv/site.git", ref: "--upload-pack=evil" }),
    ).rejects.toMatchObject({ code: "invalid_ref" });
    await expect(checkout({ ...base, url: "ext::sh -c evil", ref: "main" })).rejects.toMatchObject({
      code: "invalid_repository",
    });
    expect(calls).toEqual([]);
    expect(fs.existsSync(path.join(tmp, "work"))).toBe(false);
  });

  it("refuses a work dir that is not empty", async () => {
    const dir = path.join(tmp, "work");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "x"), "");
    await expect(
      checkout({
        url: "/srv/site.git",
        ref: "main",
        dir,
        env: {},
        onOutput: () => {},
        run: recorder([]),
      }),
    ).rejects.toMatchObject({ code: "work_dir_not_empty" });
  });
});

describe("gitMessage", () => {
  it("keeps git's fatal line", () => {
    expect(gitMessage("From /srv/x\nfatal: couldn't find remote ref nope\n")).toBe(
      "From /srv/x fatal: couldn't find remote ref nope",
    );
  });

  it("keeps what ssh said before git's line, not the boilerplate after it", () => {
    const stderr =
      "git@github.com: Permission denied (publickey).\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n";
    expect(gitMessage(stderr)).toBe(
      "git@github.com: Permission denied (publickey). fatal: Could not read from remote repository.",
    );
  });

  it("falls back to the last lines, and to null for silence", () => {
    expect(gitMessage("hint: x\none\ntwo\nthree\nfour\n")).toBe("two three four");
    expect(gitMessage("\n\n")).toBeNull();
  });
});
