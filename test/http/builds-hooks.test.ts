import { createHmac, randomUUID } from "node:crypto";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeTx } from "../../src/db/client.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { type BareRepo, createBareRepo } from "../helpers/bare-repo.ts";

let t: TestApp;
let repo: BareRepo;
let secret: string;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", {
    name: "site",
    environments: ["production", "staging"],
  });
  repo = createBareRepo(path.join(t.dir, "git"), { "index.html": "hi" });
  const res = await t.json("/api/v1/services/site/source", "PUT", {
    repoUrl: repo.url,
    commands: ["true"],
    outputDir: ".",
    branches: { main: "production", develop: "staging" },
  });
  secret = ((await res.json()) as { webhookSecret: string }).webhookSecret;
});
afterEach(() => t.close());

const builds = () => t.deps.repos.builds.listForService(serviceId(), 100);
const serviceId = () => t.deps.repos.services.byName("site")?.id ?? 0;
const sign = (body: string, key = secret) =>
  `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;

function githubPush(over: Record<string, unknown> = {}) {
  const sha = repo.commit({ "index.html": `v${randomUUID()}` }, "Ship the new home page");
  return {
    ref: "refs/heads/main",
    before: "0".repeat(40),
    after: sha,
    deleted: false,
    head_commit: { id: sha, message: "Ship the new home page" },
    pusher: { name: "octocat", email: "octocat@example.com" },
    ...over,
  };
}

function github(
  payload: unknown,
  headers: Record<string, string> = {},
  service = "site",
): Promise<Response> {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return t.anon(`/hooks/github/${service}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": sign(body),
      ...headers,
    },
    body,
  });
}

function gitlab(payload: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return t.anon("/hooks/gitlab/site", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-gitlab-event": "Push Hook",
      "x-gitlab-token": secret,
      "idempotency-key": randomUUID(),
      ...headers,
    },
    body: JSON.stringify(payload),
  });
}

function gitlabPush(over: Record<string, unknown> = {}) {
  const sha = repo.commit({ "index.html": `v${randomUUID()}` }, "From GitLab");
  return {
    object_kind: "push",
    ref: "refs/heads/develop",
    before: "0".repeat(40),
    after: sha,
    checkout_sha: sha,
    user_username: "tanuki",
    commits: [{ id: sha, message: "From GitLab" }],
    ...over,
  };
}

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe("GitHub push webhook", () => {
  it("checks GitHub's documented signature test vector through the endpoint", async () => {
    const id = serviceId();
    const source = t.deps.repos.builds.source(id);
    if (!source) throw new Error("no source");
    writeTx(t.deps.db, (tx) =>
      t.deps.repos.builds.saveSource(tx, {
        ...source,
        webhookSecret: t.deps.secrets.encrypt("It's a Secret to Everybody"),
      }),
    );
    const vector = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    const ping = await github("Hello, World!", {
      "x-github-event": "ping",
      "x-hub-signature-256": vector,
    });
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ status: "pong" });
    // the signature passes; the body is just not a push
    const push = await github("Hello, World!", { "x-hub-signature-256": vector });
    expect(push.status).toBe(400);
    expect(((await push.json()) as { error: { code: string } }).error.code).toBe("invalid_payload");
    const wrong = await github("Hello, World!", {
      "x-github-event": "ping",
      "x-hub-signature-256": vector.replace(/e17$/, "e18"),
    });
    expect(wrong.status).toBe(401);
  });

  it("queues a build of the pushed commit for a mapped branch, at once", async () => {
    const payload = githubPush();
    const started = Date.now();
    const res = await github(payload);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body).toEqual({ status: "queued", buildId: expect.any(String) });
    const build = t.deps.repos.builds.byId(body.buildId as string);
    expect(build).toMatchObject({
      status: "queued",
      trigger: "github",
      triggeredBy: "push by octocat",
      ref: "main",
      environment: "production",
      commitSha: payload.after,
      commitMessage: "Ship the new home page",
    });
    const shown = await json(await t.request(`/api/v1/builds/${build?.id}`));
    expect(shown).toMatchObject({ queuePosition: 1, trigger: "github" });
  });

  it("also takes GitHub's form-encoded content type (the JSON in field payload)", async () => {
    const payload = githubPush();
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const res = await github(body, { "content-type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ status: "queued" });
    expect(builds()[0]?.commitSha).toBe(payload.after);
  });

  it("refuses a bad or missing signature with 401 and queues nothing", async () => {
    const payload = githubPush();
    const body = JSON.stringify(payload);
    const cases: Record<string, string>[] = [
      { "x-hub-signature-256": sign(body, "not the secret") },
      { "x-hub-signature-256": sign(`${body} `) },
      { "x-hub-signature-256": "sha1=abc" },
      { "x-hub-signature-256": "" },
    ];
    for (const headers of cases) {
      const res = await github(body, headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        "unauthenticated",
      );
    }
    const missing = await t.anon("/hooks/github/site", {
      method: "POST",
      headers: { "x-github-event": "push", "x-github-delivery": randomUUID() },
      body,
    });
    expect(missing.status).toBe(401);
    expect(builds()).toHaveLength(0);
  });

  it("answers a duplicate delivery with 200 duplicate and queues nothing more", async () => {
    const payload = githubPush();
    const delivery = randomUUID();
    const first = await github(payload, { "x-github-delivery": delivery });
    expect(first.status).toBe(202);
    const again = await github(payload, { "x-github-delivery": delivery });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: "duplicate" });
    expect(builds()).toHaveLength(1);
    // the same delivery id for another service is that service's own delivery
    await t.json("/api/v1/services", "POST", { name: "docs" });
    const docs = await t.json("/api/v1/services/docs/source", "PUT", {
      repoUrl: repo.url,
      commands: ["true"],
      outputDir: ".",
      branches: { main: "production" },
    });
    const docsSecret = ((await docs.json()) as { webhookSecret: string }).webhookSecret;
    const body = JSON.stringify(payload);
    const other = await github(
      body,
      { "x-github-delivery": delivery, "x-hub-signature-256": sign(body, docsSecret) },
      "docs",
    );
    expect(other.status).toBe(202);
  });

  it("answers ping, and ignores unmapped branches, tags, deletions and other events", async () => {
    const ping = await github(
      { zen: "Keep it logically awesome.", hook_id: 1 },
      {
        "x-github-event": "ping",
      },
    );
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ status: "pong" });

    const ignored: [Record<string, unknown>, RegExp][] = [
      [{ ref: "refs/heads/feature/x" }, /branch feature\/x is not mapped/],
      [{ ref: "refs/tags/v1.0.0" }, /refs\/tags\/v1\.0\.0 is not a branch/],
      [{ deleted: true, after: "0".repeat(40), head_commit: null }, /was deleted/],
    ];
    for (const [over, reason] of ignored) {
      const res = await github(githubPush(over));
      expect(res.status).toBe(202);
      const body = await json(res);
      expect(body.status).toBe("ignored");
      expect(body.reason).toMatch(reason);
    }
    const issues = await github({ action: "opened" }, { "x-github-event": "issues" });
    expect(issues.status).toBe(202);
    expect(await json(issues)).toMatchObject({ status: "ignored" });
    expect(builds()).toHaveLength(0);
  });

  it("needs a delivery id and a push body", async () => {
    const noId = await github(githubPush(), { "x-github-delivery": "" });
    expect(noId.status).toBe(400);
    expect(((await noId.json()) as { error: { code: string } }).error.code).toBe(
      "missing_delivery_id",
    );
    const notJson = await github("{nope");
    expect(notJson.status).toBe(400);
    expect(builds()).toHaveLength(0);
  });

  it("404s for an unknown service or one without a git source, before checking anything", async () => {
    const unknown = await github(githubPush(), {}, "nope");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      "service_not_found",
    );
    await t.json("/api/v1/services", "POST", { name: "bare" });
    const noSource = await github(githubPush(), {}, "bare");
    expect(noSource.status).toBe(404);
    expect(((await noSource.json()) as { error: { code: string } }).error.code).toBe(
      "source_not_configured",
    );
  });

  it("refuses a declared body over 25 MB with 413 without reading it", async () => {
    let pulled = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled = true;
          controller.enqueue(new Uint8Array(1024));
        },
      },
      { highWaterMark: 0 },
    );
    const res = await t.anon("/hooks/github/site", {
      method: "POST",
      headers: {
        "content-length": String(25 * 1024 * 1024 + 1),
        "x-github-event": "push",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": sign("x"),
      },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
    expect(pulled).toBe(false);
  });

  it("stops reading an undeclared body as soon as it passes 25 MB", async () => {
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          sent++;
          if (sent > 100) controller.close();
          else controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    const res = await t.anon("/hooks/github/site", {
      method: "POST",
      headers: { "x-github-event": "push", "x-hub-signature-256": sign("x") },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThanOrEqual(27);
    expect(builds()).toHaveLength(0);
  });

  it("is recorded in the audit trail as github, whatever the outcome", async () => {
    await github(githubPush());
    await github(githubPush(), { "x-hub-signature-256": sign("other") });
    const trail = t.deps.repos.audit.list({ limit: 10 }).filter((e) => e.action === "hook.github");
    expect(trail.map((e) => [e.actor, e.result, e.status])).toEqual(
      expect.arrayContaining([
        ["github", "ok", 202],
        ["github", "denied", 401],
      ]),
    );
    expect(trail[0]).toMatchObject({ action: "hook.github", target: "site" });
  });
});

describe("GitLab push hook", () => {
  it("queues a build for a mapped branch with the pushed commit", async () => {
    const payload = gitlabPush();
    const res = await gitlab(payload);
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body.status).toBe("queued");
    expect(t.deps.repos.builds.byId(body.buildId as string)).toMatchObject({
      trigger: "gitlab",
      triggeredBy: "push by tanuki",
      ref: "develop",
      environment: "staging",
      commitSha: payload.checkout_sha,
      commitMessage: "From GitLab",
    });
    const trail = t.deps.repos.audit.list({ limit: 5 }).filter((e) => e.action === "hook.gitlab");
    expect(trail[0]).toMatchObject({ actor: "gitlab", result: "ok" });
  });

  it("refuses a wrong or missing token with 401 and queues nothing", async () => {
    expect((await gitlab(gitlabPush(), { "x-gitlab-token": "wrong" })).status).toBe(401);
    expect((await gitlab(gitlabPush(), { "x-gitlab-token": `${secret}x` })).status).toBe(401);
    const missing = await t.anon("/hooks/gitlab/site", {
      method: "POST",
      headers: { "x-gitlab-event": "Push Hook", "idempotency-key": randomUUID() },
      body: JSON.stringify(gitlabPush()),
    });
    expect(missing.status).toBe(401);
    expect(builds()).toHaveLength(0);
  });

  it("deduplicates by Idempotency-Key, else X-Gitlab-Webhook-UUID, else X-Gitlab-Event-UUID", async () => {
    const payload = gitlabPush();
    const key = randomUUID();
    expect((await gitlab(payload, { "idempotency-key": key })).status).toBe(202);
    const dup = await gitlab(payload, { "idempotency-key": key });
    expect(dup.status).toBe(200);
    expect(await dup.json()).toEqual({ status: "duplicate" });

    const hookUuid = randomUUID();
    const older = { "idempotency-key": "", "x-gitlab-webhook-uuid": hookUuid };
    expect((await gitlab(payload, older)).status).toBe(202);
    expect((await gitlab(payload, older)).status).toBe(200);

    const eventUuid = { "idempotency-key": "", "x-gitlab-event-uuid": randomUUID() };
    expect((await gitlab(payload, eventUuid)).status).toBe(202);
    expect((await gitlab(payload, eventUuid)).status).toBe(200);

    const none = await gitlab(payload, { "idempotency-key": "" });
    expect(none.status).toBe(400);
    expect(builds()).toHaveLength(3);
  });

  it("ignores tag pushes, unmapped branches and other events", async () => {
    const tag = await gitlab(gitlabPush({ object_kind: "tag_push", ref: "refs/tags/v2" }), {
      "x-gitlab-event": "Tag Push Hook",
    });
    expect(tag.status).toBe(202);
    expect(await json(tag)).toMatchObject({ status: "ignored" });
    const feature = await gitlab(gitlabPush({ ref: "refs/heads/feature" }));
    expect(await json(feature)).toMatchObject({ status: "ignored" });
    const mr = await gitlab(
      { object_kind: "merge_request" },
      { "x-gitlab-event": "Merge Request Hook" },
    );
    expect(mr.status).toBe(202);
    expect(await json(mr)).toMatchObject({ status: "ignored" });
    expect(builds()).toHaveLength(0);
  });
});
