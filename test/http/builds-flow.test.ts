import { createHmac, randomUUID } from "node:crypto";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startWorkers, type WorkerPool } from "../../src/queue/workers.ts";
import { runBuild } from "../../src/services/builds/run.ts";
import { createTestApp, site, type TestApp } from "../helpers/app.ts";
import { type BareRepo, createBareRepo } from "../helpers/bare-repo.ts";

let t: TestApp;
let repo: BareRepo;
let workers: WorkerPool;
beforeEach(async () => {
  t = createTestApp();
  workers = startWorkers({
    tasks: t.deps.repos.tasks,
    handlers: {
      build: (task, signal) =>
        runBuild(t.deps, task.subjectId, signal, {
          baseEnv: { PATH: process.env.PATH, HOME: t.dir },
        }),
    },
    concurrency: 1,
    logger: t.deps.logger,
    pollMs: 50,
  });
  t.deps.workers = workers;
  await t.json("/api/v1/services", "POST", { name: "site" });
  repo = createBareRepo(path.join(t.dir, "git"), {
    "build.sh": 'mkdir -p dist && printf "<h1>%s</h1>" "$GREETING" > dist/index.html\n',
  });
});
afterEach(async () => {
  await workers.stop();
  await t.close();
});

type Build = {
  id: string;
  status: string;
  commitSha: string;
  artifact: { id: string; good: boolean } | null;
  deployment: { id: string; status: string } | null;
};

async function settled(id: string): Promise<Build> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const b = (await (await t.request(`/api/v1/builds/${id}`)).json()) as Build;
    const deployed =
      b.deployment === null || !["queued", "preparing", "activating"].includes(b.deployment.status);
    if (!["queued", "running"].includes(b.status) && deployed) return b;
    if (Date.now() > deadline) throw new Error(`build ${id} is still ${b.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("push → build → live", () => {
  it("builds the pushed branch from a real repository and serves the result", async () => {
    const saved = await t.json("/api/v1/services/site/source", "PUT", {
      repoUrl: repo.url,
      commands: ["sh build.sh"],
      outputDir: "dist",
      branches: { main: "production" },
      variables: [{ name: "GREETING", value: "hello from git", secret: false }],
    });
    const { webhookSecret } = (await saved.json()) as { webhookSecret: string };
    const sha = repo.commit({ "README.md": "v2" }, "Second commit");
    const body = JSON.stringify({
      ref: "refs/heads/main",
      after: sha,
      head_commit: { id: sha, message: "Second commit" },
      pusher: { name: "octocat" },
    });
    const res = await t.anon("/hooks/github/site", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": `sha256=${createHmac("sha256", webhookSecret).update(body).digest("hex")}`,
      },
      body,
    });
    expect(res.status).toBe(202);
    const { buildId } = (await res.json()) as { buildId: string };

    const b = await settled(buildId);
    expect(b).toMatchObject({ status: "succeeded", commitSha: sha });
    expect(b.artifact).toMatchObject({
      id: expect.stringMatching(/^site-\d{8}T\d{6}Z/),
      good: true,
    });
    expect(b.deployment?.status).toBe("live");
    expect((await site(t, "production--site.localhost")).body).toBe("<h1>hello from git</h1>");

    const log = (await (await t.request(`/api/v1/builds/${buildId}/log`)).json()) as {
      lines: { message: string }[];
    };
    expect(log.lines.map((l) => l.message).join("\n")).toContain("sh build.sh");

    const html = await (await t.request(`/builds/${buildId}`)).text();
    expect(html).toContain("badge-succeeded");
    expect(html).toContain(`/deployments/${b.deployment?.id}`);
    const list = await (await t.request("/services/site/builds")).text();
    expect(list).toContain("badge-good");
    expect(list).toContain(b.artifact?.id);
  });

  it("fails a build whose command fails and deploys nothing", async () => {
    await t.json("/api/v1/services/site/source", "PUT", {
      repoUrl: repo.url,
      commands: ["sh build.sh", "exit 3"],
      outputDir: "dist",
      branches: { main: "production" },
    });
    const res = await t.json("/api/v1/services/site/builds", "POST", {});
    const b = await settled(((await res.json()) as Build).id);
    expect(b).toMatchObject({
      status: "failed",
      failure: { command: "exit 3", exitCode: 3 },
      artifact: null,
      deployment: null,
    });
    const html = await (await t.request(`/builds/${b.id}`)).text();
    expect(html).toContain("<code>exit 3</code> (exit code 3)");
  });
});
