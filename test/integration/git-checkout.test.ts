import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CheckoutOptions, checkout } from "../../src/adapters/git/checkout.ts";
import type { OutputChunk } from "../../src/adapters/process/output.ts";
import { type RunOptions, runProcess } from "../../src/adapters/process/run.ts";
import { DomainError } from "../../src/domain/errors.ts";

/** Real git against real repositories made here: a bare origin, served by path, file:// and https. */

const GIT_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: os.tmpdir(),
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Ada",
  GIT_AUTHOR_EMAIL: "ada@example.com",
  GIT_COMMITTER_NAME: "Ada",
  GIT_COMMITTER_EMAIL: "ada@example.com",
};

let root: string;
let bare: string;
const commits = { first: "", main: "", develop: "" };

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: GIT_ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

function commit(work: string, file: string, content: string, message: string): string {
  fs.writeFileSync(path.join(work, file), content);
  git(work, "add", "--", file);
  git(work, "commit", "--quiet", "-m", message);
  return git(work, "rev-parse", "HEAD");
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-git-it-"));
  bare = path.join(root, "repos", "acme", "site.git");
  fs.mkdirSync(path.dirname(bare), { recursive: true });
  git(root, "init", "--quiet", "--bare", "--initial-branch=main", bare);
  const work = path.join(root, "work");
  git(root, "clone", "--quiet", bare, work);
  git(work, "checkout", "--quiet", "-b", "main");
  commits.first = commit(work, "index.html", "v1\n", "First version");
  git(work, "tag", "-a", "v1.0", "-m", "Release 1.0");
  commits.main = commit(work, "index.html", "v2\n", "Second version\n\nWith a body.");
  git(work, "checkout", "--quiet", "-b", "develop");
  commits.develop = commit(work, "index.html", "dev\n", "Work in progress");
  git(work, "push", "--quiet", "origin", "main", "develop", "v1.0");
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function workDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-build-"));
  dirs.push(dir);
  return path.join(dir, "src");
}

function options(url: string, ref: string, extra: Partial<CheckoutOptions> = {}) {
  const chunks: OutputChunk[] = [];
  const opts: CheckoutOptions = {
    url,
    ref,
    dir: workDir(),
    env: { PATH: GIT_ENV.PATH, HOME: os.tmpdir() },
    onOutput: (c) => chunks.push(c),
    timeoutMs: 20_000,
    ...extra,
  };
  return { opts, output: () => chunks.map((c) => c.text).join("") };
}

const read = (dir: string) => fs.readFileSync(path.join(dir, "index.html"), "utf8");

async function gitError(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => {
      throw new Error("expected the checkout to fail");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe("checkout from a local repository", () => {
  it("checks out a branch over file://, shallow", async () => {
    const { opts } = options(`file://${bare}`, "main");
    const result = await checkout(opts);
    expect(result).toEqual({
      commit: commits.main,
      author: "Ada <ada@example.com>",
      message: "Second version\n\nWith a body.",
    });
    expect(read(opts.dir)).toBe("v2\n");
    expect(git(opts.dir, "rev-list", "--count", "HEAD")).toBe("1");
    expect(fs.existsSync(path.join(opts.dir, ".git", "shallow"))).toBe(true);
  });

  it("checks out another branch from a plain path", async () => {
    const { opts } = options(bare, "develop");
    expect((await checkout(opts)).commit).toBe(commits.develop);
    expect(read(opts.dir)).toBe("dev\n");
  });

  it("checks out an annotated tag as the commit it tags", async () => {
    const { opts } = options(`file://${bare}`, "v1.0");
    expect(await checkout(opts)).toMatchObject({ commit: commits.first, message: "First version" });
    expect(read(opts.dir)).toBe("v1\n");
  });

  it("checks out a full ref name", async () => {
    const { opts } = options(bare, "refs/heads/develop");
    expect((await checkout(opts)).commit).toBe(commits.develop);
  });

  it("checks out a full commit id that is no branch tip", async () => {
    const { opts } = options(`file://${bare}`, commits.first);
    expect((await checkout(opts)).commit).toBe(commits.first);
    expect(read(opts.dir)).toBe("v1\n");
  });

  it("fails with git's own message for a missing ref", async () => {
    const { opts, output } = options(`file://${bare}`, "nope");
    const err = await gitError(checkout(opts));
    expect(err).toMatchObject({ kind: "unprocessable", code: "git_failed" });
    expect(err.message).toBe("fatal: couldn't find remote ref nope");
    expect(output()).toContain("fatal: couldn't find remote ref nope");
  });

  it("fails with git's own message for a missing repository", async () => {
    const { opts } = options(`file://${root}/missing.git`, "main");
    const err = await gitError(checkout(opts));
    expect(err.code).toBe("git_failed");
    expect(err.message).toMatch(/does not appear to be a git repository/);
  });

  it("refuses an option-like ref before git runs", async () => {
    const marker = path.join(root, "pwned");
    const { opts } = options(bare, `--upload-pack=touch ${marker}`);
    const err = await gitError(checkout(opts));
    expect(err.code).toBe("invalid_ref");
    expect(fs.existsSync(opts.dir)).toBe(false);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("ignores the caller's GIT_* variables", async () => {
    const { opts } = options(bare, "main");
    opts.env = { ...opts.env, GIT_DIR: path.join(root, "elsewhere"), GIT_WORK_TREE: root };
    expect((await checkout(opts)).commit).toBe(commits.main);
    expect(fs.existsSync(path.join(root, "elsewhere"))).toBe(false);
  });
});

describe("checkout over ssh with a deploy key", () => {
  it("uses the key from a temp dir outside the work tree, removes it, and reports ssh's error", async () => {
    const keys = fs.mkdtempSync(path.join(os.tmpdir(), "berth-keys-"));
    dirs.push(keys);
    const keyFile = path.join(keys, "id");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", keyFile]);
    const tempRoot = path.join(keys, "tmp");
    fs.mkdirSync(tempRoot);
    const { opts, output } = options("ssh://git@127.0.0.1:1/acme/site.git", "main", {
      credentials: { kind: "ssh_key", privateKey: fs.readFileSync(keyFile, "utf8") },
      tempRoot,
    });
    const err = await gitError(checkout(opts));
    expect(err.code).toBe("git_failed");
    expect(err.message).toMatch(/ssh: connect to host 127\.0\.0\.1 port 1: Connection refused/);
    expect(err.message).toMatch(/fatal: Could not read from remote repository/);
    expect(output()).toMatch(/Connection refused/);
    expect(fs.readdirSync(tempRoot)).toEqual([]);
    expect(fs.readdirSync(opts.dir).sort()).toEqual([".git"]);
  });
});

describe("checkout over https with an access token", () => {
  const token = "ghp_Berth0Test0Token0123456789";
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
  let server: https.Server;
  let base: string;
  let caFile: string;
  const seen: string[] = [];
  const backends: ChildProcess[] = [];

  /** git http-backend behind a TLS server that demands the token, as a git host would. */
  beforeAll(async () => {
    const tls = path.join(root, "tls");
    fs.mkdirSync(tls);
    caFile = path.join(tls, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        path.join(tls, "key.pem"),
        "-out",
        caFile,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    server = https.createServer(
      { key: fs.readFileSync(path.join(tls, "key.pem")), cert: fs.readFileSync(caFile) },
      (req, res) => {
        seen.push(req.headers.authorization ?? "");
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        if (url.pathname.startsWith("/stall/")) return; // never answers
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' }).end();
          return;
        }
        const cgi = spawn("git", ["http-backend"], {
          stdio: ["pipe", "pipe", "ignore"],
          env: {
            PATH: GIT_ENV.PATH,
            GIT_CONFIG_GLOBAL: "/dev/null",
            GIT_CONFIG_NOSYSTEM: "1",
            GIT_PROJECT_ROOT: path.join(root, "repos"),
            GIT_HTTP_EXPORT_ALL: "1",
            PATH_INFO: url.pathname,
            QUERY_STRING: url.search.slice(1),
            REQUEST_METHOD: req.method ?? "GET",
            CONTENT_TYPE: req.headers["content-type"] ?? "",
            HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
            GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
            REMOTE_USER: "x-access-token",
            REMOTE_ADDR: "127.0.0.1",
          },
        });
        backends.push(cgi);
        req.pipe(cgi.stdin);
        const out: Buffer[] = [];
        cgi.stdout.on("data", (b: Buffer) => out.push(b));
        cgi.on("close", () => {
          const all = Buffer.concat(out);
          const end = all.indexOf("\r\n\r\n");
          const head = all.subarray(0, end).toString("latin1").split("\r\n");
          let status = 200;
          for (const line of head) {
            const [name = "", ...rest] = line.split(":");
            const value = rest.join(":").trim();
            if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
            else res.setHeader(name, value);
          }
          res.writeHead(status).end(all.subarray(end + 4));
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const cgi of backends) {
      if (cgi.pid !== undefined && cgi.exitCode === null && cgi.signalCode === null) {
        process.kill(cgi.pid, "SIGKILL");
      }
    }
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  /** The real runner, with every argv recorded. */
  function recording(argvs: string[][]) {
    return (opts: RunOptions) => {
      argvs.push(opts.argv);
      return runProcess(opts);
    };
  }

  it("sends the token as a header, never in argv", async () => {
    const argvs: string[][] = [];
    const { opts, output } = options(`${base}/acme/site.git`, "main", {
      credentials: { kind: "token", token },
      sslCaFile: caFile,
      run: recording(argvs),
    });
    expect((await checkout(opts)).commit).toBe(commits.main);
    expect(read(opts.dir)).toBe("v2\n");
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h === expected)).toBe(true);
    expect(argvs).toHaveLength(5);
    for (const argv of argvs) {
      expect(argv.join(" ")).not.toContain(token);
      expect(argv.join(" ")).not.toContain(expected.slice("Basic ".length));
    }
    // nothing about the token lands in the work tree's config either
    expect(fs.readFileSync(path.join(opts.dir, ".git", "config"), "utf8")).not.toMatch(
      /extraheader|Basic/i,
    );
    expect(output()).not.toContain(token);
  });

  it("masks the token wherever git prints it", async () => {
    // a ref that happens to be the token: git names it in its error
    const { opts, output } = options(`${base}/acme/site.git`, token, {
      credentials: { kind: "token", token },
      sslCaFile: caFile,
    });
    const err = await gitError(checkout(opts));
    expect(err.message).toBe("fatal: couldn't find remote ref ***");
    expect(output()).toContain("couldn't find remote ref ***");
    expect(output()).not.toContain(token);
  });

  it("fails with git's message without a token, and never prompts", async () => {
    const { opts } = options(`${base}/acme/site.git`, "main", { sslCaFile: caFile });
    const err = await gitError(checkout(opts));
    expect(err.code).toBe("git_failed");
    expect(err.message).toMatch(/terminal prompts disabled/);
  });

  it("fails with a wrong token", async () => {
    const { opts } = options(`${base}/acme/site.git`, "main", {
      credentials: { kind: "token", token: "wrong-token-value" },
      sslCaFile: caFile,
    });
    const err = await gitError(checkout(opts));
    expect(err.code).toBe("git_failed");
    expect(err.message).toMatch(/terminal prompts disabled|Authentication failed/);
    expect(err.message).not.toContain("wrong-token-value");
  });

  it("gives up on a server that does not answer, by timeout or by cancel", async () => {
    const slow = options(`${base}/stall/site.git`, "main", { sslCaFile: caFile, timeoutMs: 500 });
    expect(await gitError(checkout(slow.opts))).toMatchObject({ code: "git_timeout" });

    const abort = new AbortController();
    const cancelled = options(`${base}/stall/site.git`, "main", {
      sslCaFile: caFile,
      signal: abort.signal,
    });
    const pending = checkout(cancelled.opts);
    setTimeout(() => abort.abort(), 300);
    expect(await gitError(pending)).toMatchObject({ code: "git_cancelled" });
  });
});
