import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startWorkers, type WorkerPool } from "../../src/queue/workers.ts";
import { cancelBuild, getBuild, queueBuild } from "../../src/services/builds/queue.ts";
import { runBuild } from "../../src/services/builds/run.ts";
import { configureSource } from "../../src/services/builds/source.ts";
import { getService } from "../../src/services/releases/catalog.ts";
import { createTestApp, site, type TestApp } from "../helpers/app.ts";
import { type BareRepo, createBareRepo } from "../helpers/bare-repo.ts";

let t: TestApp;
let root: string;
let pool: WorkerPool | undefined;
let repo: BareRepo;

beforeEach(async () => {
  t = createTestApp();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-builds-"));
  repo = createBareRepo(path.join(root, "git"), { "README.md": "a site" });
  await t.json("/api/v1/services", "POST", {
    name: "site",
    environments: ["production", "staging"],
  });
});
afterEach(async () => {
  await pool?.stop();
  pool = undefined;
  await t.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function workers(concurrency = 1, graceMs = 500) {
  pool = startWorkers({
    tasks: t.deps.repos.tasks,
    handlers: {
      build: (task, signal) =>
        runBuild(t.deps, task.subjectId, signal, { baseEnv: process.env, graceMs }),
    },
    concurrency,
    logger: t.deps.logger,
    pollMs: 50,
  });
  t.deps.workers = pool;
  return pool;
}

function configure(commands: string[], extra: Partial<Parameters<typeof configureSource>[2]> = {}) {
  return configureSource(t.deps, getService(t.deps, "site"), {
    repoUrl: repo.url,
    commands,
    outputDir: "dist",
    branches: { main: "production", develop: "staging" },
    ...extra,
  });
}

async function settle(id: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = getBuild(t.deps, id);
    if (!["queued", "running"].includes(b.status)) return b;
    if (Date.now() > deadline) throw new Error(`build ${id} still ${b.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function liveDeployment(env = "production") {
  const envRow = (await (await t.request(`/api/v1/services/site/environments/${env}`)).json()) as {
    live: { id: string } | null;
  };
  if (!envRow.live) return null;
  await t.deps.queue.idle();
  return envRow.live;
}

const logText = (id: string) =>
  t.deps.repos.builds
    .logs(id)
    .map((l) => l.message)
    .join("\n");
/** The host pid of a process whose command line is exactly `cmdline` (NUL-separated). */
function processWith(cmdline: string): number | undefined {
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, "utf8") === cmdline) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

const build = 'mkdir -p dist && printf "<h1>%s</h1>" "$(cat message.txt)" > dist/index.html';

describe("building from git", () => {
  it("clones the commit, runs the commands in order, stores an artifact and deploys it", async () => {
    const sha = repo.commit({ "message.txt": "hello from main", "build.sh": build }, "first");
    configure(["sh build.sh", "ls dist"], {
      variables: [{ name: "TOKEN", value: "s3cr3t-value", secret: true }],
    });
    workers();
    const b = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
      ref: "main",
    });
    const done = await settle(b.id);
    expect(done.status, logText(b.id)).toBe("succeeded");
    expect(done.commitSha).toBe(sha);
    expect(done.artifactId).toMatch(/^site-\d{8}T\d{6}Z$/);
    const artifact = t.deps.repos.builds.artifact(done.artifactId as string);
    expect(artifact).toMatchObject({ good: true, fileCount: 1, commitSha: sha });
    await t.deps.queue.idle();
    expect((await site(t, "production--site.localhost")).body).toBe("<h1>hello from main</h1>");
    const log = logText(b.id);
    expect(log).toContain("$ [1/2] sh build.sh");
    expect(log).toContain("index.html");
    expect(log).not.toContain("s3cr3t-value");
  });

  it("gives the build commands BERTH_RELEASE, naming the commit built", async () => {
    const sha = repo.commit({ "message.txt": "x" }, "first");
    configure(['mkdir -p dist && printf "%s" "$BERTH_RELEASE" > dist/index.html']);
    workers();
    const b = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
      ref: "main",
    });
    expect((await settle(b.id)).status, logText(b.id)).toBe("succeeded");
    await t.deps.queue.idle();
    expect((await site(t, "production--site.localhost")).body).toBe(sha);
  });

  it("builds develop for staging and leaves production alone", async () => {
    repo.commit({ "message.txt": "main", "build.sh": build }, "main");
    repo.commit({ "message.txt": "develop" }, "dev", "develop");
    configure(["sh build.sh"]);
    workers();
    const b = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
      ref: "develop",
    });
    expect((await settle(b.id)).status).toBe("succeeded");
    await t.deps.queue.idle();
    expect((await site(t, "staging--site.localhost")).body).toBe("<h1>develop</h1>");
    expect(await liveDeployment("production")).toBeNull();
  });

  it("fails on a failing command with its exit code and deploys nothing", async () => {
    repo.commit({ "message.txt": "x", "build.sh": build }, "first");
    configure(["sh build.sh", "sh -c 'echo broken >&2; exit 3'", "echo never"]);
    workers();
    const b = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
    });
    const done = await settle(b.id);
    expect(done).toMatchObject({
      status: "failed",
      exitCode: 3,
      failedCommand: "sh -c 'echo broken >&2; exit 3'",
    });
    expect(done.artifactId).toBeNull();
    expect(logText(b.id)).toContain("broken");
    expect(logText(b.id)).not.toContain("$ [3/3]");
    expect(await liveDeployment()).toBeNull();
  });

  it("fails when the output directory is missing after the build", async () => {
    repo.commit({ "message.txt": "x" }, "first");
    configure(["true"]);
    workers();
    const b = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
    });
    const done = await settle(b.id);
    expect(done.status).toBe("failed");
    expect(done.errorMessage).toContain('"dist" does not exist');
    expect(await liveDeployment()).toBeNull();
  });

  it("fails with git's own error for a missing ref or repository", async () => {
    repo.commit({ "message.txt": "x" }, "first");
    configure(["true"]);
    workers();
    const b = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
      ref: "nope",
    });
    const done = await settle(b.id);
    expect(done.status).toBe("failed");
    expect(`${done.errorMessage}\n${logText(b.id)}`).toMatch(
      /couldn't find remote ref|not found|nope/i,
    );
    configure(["true"], { repoUrl: `file://${root}/missing.git` });
    const b2 = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
    });
    const done2 = await settle(b2.id);
    expect(done2.status).toBe("failed");
    expect(`${done2.errorMessage}\n${logText(b2.id)}`).toMatch(
      /does not appear to be a git repository|not found|No such/i,
    );
  });

  it("runs at most the configured number of builds at once, and every queued build finishes", async () => {
    repo.commit({ "message.txt": "x", "build.sh": `sleep 0.3; ${build}` }, "first");
    configure(["sh build.sh"]);
    const service = getService(t.deps, "site");
    const ids = Array.from(
      { length: 10 },
      () => queueBuild(t.deps, service, { trigger: "manual", triggeredBy: "test", ref: "main" }).id,
    );
    expect(
      t.deps.repos.tasks.position(
        t.deps.repos.tasks.bySubject("build", ids[9] as string)?.id as number,
      ),
    ).toBe(10);
    workers(2);
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, t.deps.repos.builds.inState("running").length);
    }, 10);
    try {
      const done = await Promise.all(ids.map((id) => settle(id, 60_000)));
      expect(done.map((d) => d.status)).toEqual(Array(10).fill("succeeded"));
    } finally {
      clearInterval(watch);
    }
    expect(most).toBe(2);
  }, 90_000);

  it("cancel stops the command's whole process group, grandchildren included", async () => {
    repo.commit({ "message.txt": "x" }, "first");
    // the command runs sandboxed (its own PID namespace): its grandchild is found from outside
    configure([`sh -c 'sleep 3007 & trap "" TERM; sleep 300'`]);
    workers(1, 300);
    const b = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
    });
    const deadline = Date.now() + 15_000;
    let found: number | undefined;
    while (found === undefined) {
      if (Date.now() > deadline) throw new Error(`no grandchild started: ${logText(b.id)}`);
      found = processWith("sleep\u00003007\u0000");
      await new Promise((r) => setTimeout(r, 25));
    }
    const grandchild = found;
    expect(() => process.kill(grandchild, 0)).not.toThrow();
    cancelBuild(t.deps, b.id, "tester");
    const done = await settle(b.id);
    expect(done.status).toBe("cancelled");
    const gone = Date.now() + 5_000;
    while (Date.now() < gone) {
      try {
        process.kill(grandchild, 0);
        await new Promise((r) => setTimeout(r, 25));
      } catch {
        break;
      }
    }
    expect(() => process.kill(grandchild, 0)).toThrow(/ESRCH/);
    expect(await liveDeployment()).toBeNull();
  });

  it("cancels a queued build without running it", () => {
    repo.commit({ "message.txt": "x" }, "first");
    configure(["true"]);
    const b = queueBuild(t.deps, getService(t.deps, "site"), {
      trigger: "manual",
      triggeredBy: "test",
    });
    expect(cancelBuild(t.deps, b.id, "tester").status).toBe("cancelled");
    expect(() => cancelBuild(t.deps, b.id, "tester")).toThrow(/nothing to cancel/);
  });
});
