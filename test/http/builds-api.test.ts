import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeTx } from "../../src/db/client.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, makeZip, site, type TestApp, waitForDeployment } from "../helpers/app.ts";
import { type BareRepo, createBareRepo } from "../helpers/bare-repo.ts";

/** A token is only for https sources; these tests never clone, so the host is not reached. */
const HTTPS_REPO = "https://git.example.test/acme/site.git";

let t: TestApp;
let repo: BareRepo;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", {
    name: "site",
    environments: ["production", "staging"],
  });
  repo = createBareRepo(path.join(t.dir, "git"), {
    "build.sh": "mkdir -p dist && echo hi > dist/index.html\n",
  });
});
afterEach(() => t.close());

type Err = { error: { code: string; message: string; field?: string } };
type Build = {
  id: string;
  status: string;
  trigger: string;
  triggeredBy: string;
  ref: string;
  environment: string | null;
  queuePosition: number | null;
  durationMs: number | null;
  artifact: unknown;
  deployment: unknown;
};

const sourceBody = (over: Record<string, unknown> = {}) => ({
  repoUrl: HTTPS_REPO,
  credential: "ghp_supersecrettoken",
  commands: ["sh build.sh"],
  outputDir: "dist",
  branches: { main: "production", develop: "staging" },
  variables: [
    { name: "PUBLIC_URL", value: "https://example.com", secret: false },
    { name: "API_TOKEN", value: "tok-very-secret", secret: true },
  ],
  timeoutSeconds: 600,
  ...over,
});

const configure = async (over: Record<string, unknown> = {}) => {
  const res = await t.json("/api/v1/services/site/source", "PUT", sourceBody(over));
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown> & { webhookSecret?: string };
};

const queue = async (ref?: string) => {
  const res = await t.json("/api/v1/services/site/builds", "POST", ref ? { ref } : {});
  expect(res.status).toBe(202);
  const b = (await res.json()) as Build;
  expect(res.headers.get("location")).toBe(`/api/v1/builds/${b.id}`);
  return b;
};

function keyFor(role: "viewer" | "deployer") {
  const user = t.deps.repos.users.insert(t.deps.db, {
    email: `${role}@example.com`,
    passwordHash: "unused",
    role,
    services: null,
  });
  return createApiKey(t.deps, user, { name: role, scope: "admin" }).key;
}
const as = (key: string, p: string, method = "GET", body?: unknown) =>
  t.anon(p, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("the git source", () => {
  it("saves, returns the webhook secret once, and never returns a credential or secret value", async () => {
    const first = await configure();
    expect(first.webhookSecret).toMatch(/^[\w-]{32}$/);
    expect(first).toMatchObject({
      service: "site",
      repoUrl: HTTPS_REPO,
      authKind: "token",
      credentialSet: true,
      commands: ["sh build.sh"],
      outputDir: "dist",
      branches: { main: "production", develop: "staging" },
      timeoutSeconds: 600,
      hooks: {
        github: { url: "http://localhost:8080/hooks/github/site" },
        gitlab: { url: "http://localhost:8080/hooks/gitlab/site" },
      },
    });
    expect(first.variables).toEqual([
      { name: "PUBLIC_URL", value: "https://example.com", secret: false },
      { name: "API_TOKEN", value: null, secret: true },
    ]);
    const again = await configure({ credential: undefined });
    expect(again.webhookSecret).toBeUndefined();
    expect(again.credentialSet).toBe(true);
    const shown = await (await t.request("/api/v1/services/site/source")).text();
    for (const secret of ["ghp_supersecrettoken", "tok-very-secret", first.webhookSecret]) {
      expect(shown).not.toContain(secret);
    }
    expect(JSON.parse(shown)).not.toHaveProperty("webhookSecret");
    // stored encrypted, kept when the form leaves it out
    const row = t.deps.repos.builds.source(t.deps.repos.services.byName("site")?.id ?? 0);
    expect(row?.credential).toMatch(/^v1:/);
    expect(t.deps.secrets.decrypt(row?.credential ?? "")).toBe("ghp_supersecrettoken");
    expect(t.deps.secrets.decrypt(row?.webhookSecret ?? "")).toBe(first.webhookSecret);
  });

  it("answers 422 naming the field for bad content, 400 for a bad shape", async () => {
    await configure();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ repoUrl: "http://example.com/x.git" }, "invalid_repository", "repoUrl"],
      [{ repoUrl: "ext::sh -c touch% /tmp/pwned" }, "invalid_repository", "repoUrl"],
      [{ commands: [] }, "invalid_commands", "commands"],
      [{ outputDir: "../etc" }, "invalid_output_dir", "outputDir"],
      [{ branches: { main: "nowhere" } }, "unknown_environment", "branches"],
      [{ variables: [{ name: "BERTH_X", value: "1" }] }, "invalid_variable", "variables"],
      [{ timeoutSeconds: 1 }, "invalid_timeout", "timeoutSeconds"],
      [{ repoUrl: repo.url, credential: "ghp_x" }, "credential_not_used", "credential"],
    ];
    for (const [over, code, field] of cases) {
      const res = await t.json("/api/v1/services/site/source", "PUT", sourceBody(over));
      expect(res.status, code).toBe(422);
      expect(((await res.json()) as Err).error).toMatchObject({ code, field });
    }
    const shape = await t.json("/api/v1/services/site/source", "PUT", { repoUrl: 1 });
    expect(shape.status).toBe(400);
    // a refused save changed nothing
    const kept = (await (await t.request("/api/v1/services/site/source")).json()) as {
      outputDir: string;
    };
    expect(kept.outputDir).toBe("dist");
  });

  it("rotates the webhook secret: the new one is returned once and stored", async () => {
    const { webhookSecret } = await configure();
    const res = await t.request("/api/v1/services/site/source/webhook-secret", { method: "POST" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { secret: string; github: { url: string } };
    expect(body.secret).not.toBe(webhookSecret);
    expect(body.github.url).toBe("http://localhost:8080/hooks/github/site");
    const row = t.deps.repos.builds.source(t.deps.repos.services.byName("site")?.id ?? 0);
    expect(t.deps.secrets.decrypt(row?.webhookSecret ?? "")).toBe(body.secret);
  });

  it("404s without a source or service, and lets a viewer read but not write", async () => {
    const none = await t.request("/api/v1/services/site/source");
    expect(none.status).toBe(404);
    expect(((await none.json()) as Err).error.code).toBe("source_not_configured");
    expect((await t.request("/api/v1/services/nope/source")).status).toBe(404);
    const rotate = await t.request("/api/v1/services/site/source/webhook-secret", {
      method: "POST",
    });
    expect(rotate.status).toBe(404);
    await configure();
    const viewer = keyFor("viewer");
    expect((await as(viewer, "/api/v1/services/site/source")).status).toBe(200);
    expect((await as(viewer, "/api/v1/services/site/source", "PUT", sourceBody())).status).toBe(
      403,
    );
    const deployer = keyFor("deployer");
    expect((await as(deployer, "/api/v1/services/site/source/webhook-secret", "POST")).status).toBe(
      403,
    );
  });
});

describe("builds", () => {
  it("queues builds with their queue position and lists them newest first", async () => {
    await configure();
    const a = await queue();
    expect(a).toMatchObject({
      status: "queued",
      trigger: "api",
      triggeredBy: expect.stringMatching(/^berth_/),
      ref: "main",
      environment: "production",
      queuePosition: 1,
      durationMs: null,
      artifact: null,
      deployment: null,
    });
    const b = await queue("develop");
    expect(b).toMatchObject({ ref: "develop", environment: "staging", queuePosition: 2 });
    const c = await queue("feature/x");
    expect(c).toMatchObject({ environment: null, queuePosition: 3 });

    const page1 = (await (await t.request("/api/v1/services/site/builds?limit=2")).json()) as {
      items: Build[];
      nextCursor: string | null;
    };
    expect(page1.items.map((x) => x.id)).toEqual([c.id, b.id]);
    const page2 = (await (
      await t.request(`/api/v1/services/site/builds?limit=2&before=${page1.nextCursor}`)
    ).json()) as { items: Build[]; nextCursor: string | null };
    expect(page2.items.map((x) => x.id)).toEqual([a.id]);
    expect(page2.nextCursor).toBeNull();

    const shown = (await (await t.request(`/api/v1/builds/${b.id}`)).json()) as Build;
    expect(shown).toMatchObject({ id: b.id, queuePosition: 2 });
    const log = (await (await t.request(`/api/v1/builds/${a.id}/log`)).json()) as {
      status: string;
      lines: { message: string; stream: string }[];
    };
    expect(log.status).toBe("queued");
    expect(log.lines[0]).toMatchObject({ stream: "system" });
    expect(log.lines[0]?.message).toContain("to deploy to production");
  });

  it("cancels a queued build (202), then refuses a second cancel (409)", async () => {
    await configure();
    const a = await queue();
    const b = await queue();
    const res = await t.request(`/api/v1/builds/${a.id}/cancel`, { method: "POST" });
    expect(res.status).toBe(202);
    expect(((await res.json()) as Build).status).toBe("cancelled");
    expect(
      ((await (await t.request(`/api/v1/builds/${b.id}`)).json()) as Build).queuePosition,
    ).toBe(1);
    const again = await t.request(`/api/v1/builds/${a.id}/cancel`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as Err).error.code).toBe("build_finished");
    // the log of a finished build streams what it has and ends
    const sse = await t.request(`/api/v1/builds/${a.id}/log`, {
      headers: { accept: "text/event-stream" },
    });
    const text = await sse.text();
    expect(text).toContain("event: line");
    expect(text).toContain("Cancelled by");
    expect(text).toMatch(/event: end\ndata: \{"status":"cancelled"\}/);
  });

  it("streams a queued build's log live until it ends", async () => {
    await configure();
    const a = await queue();
    const sse = await t.request(`/api/v1/builds/${a.id}/log`, {
      headers: { accept: "text/event-stream" },
    });
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("Queued by")) text += decoder.decode((await reader.read()).value);
    await t.request(`/api/v1/builds/${a.id}/cancel`, { method: "POST" });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toContain("Cancelled by");
    expect(text).toMatch(/event: end\ndata: \{"status":"cancelled"\}/);
  });

  it("404s for unknown services, builds and sources; 422 for a bad ref", async () => {
    expect((await t.json("/api/v1/services/site/builds", "POST", {})).status).toBe(404);
    await configure();
    expect((await t.json("/api/v1/services/nope/builds", "POST", {})).status).toBe(404);
    expect((await t.request("/api/v1/services/nope/builds")).status).toBe(404);
    for (const p of ["/api/v1/builds/nope", "/api/v1/builds/nope/log"]) {
      const res = await t.request(p);
      expect(res.status, p).toBe(404);
      expect(((await res.json()) as Err).error.code).toBe("build_not_found");
    }
    expect((await t.request("/api/v1/builds/nope/cancel", { method: "POST" })).status).toBe(404);
    const bad = await t.json("/api/v1/services/site/builds", "POST", { ref: "--upload-pack=x" });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as Err).error).toMatchObject({ code: "invalid_ref", field: "ref" });
    expect(t.deps.repos.builds.listForService(1, 10)).toHaveLength(0);
  });

  it("lets a viewer look but not build or cancel; a deployer builds and cancels", async () => {
    await configure();
    const a = await queue();
    const viewer = keyFor("viewer");
    expect((await as(viewer, "/api/v1/services/site/builds")).status).toBe(200);
    expect((await as(viewer, `/api/v1/builds/${a.id}`)).status).toBe(200);
    expect((await as(viewer, `/api/v1/builds/${a.id}/log`)).status).toBe(200);
    expect((await as(viewer, "/api/v1/services/site/builds", "POST", {})).status).toBe(403);
    expect((await as(viewer, `/api/v1/builds/${a.id}/cancel`, "POST")).status).toBe(403);
    expect((await as(viewer, "/api/v1/services/site/artifacts")).status).toBe(200);
    const deployer = keyFor("deployer");
    expect((await as(deployer, "/api/v1/services/site/builds", "POST", {})).status).toBe(202);
    expect((await as(deployer, `/api/v1/builds/${a.id}/cancel`, "POST")).status).toBe(202);
  });

  it("hides another service's builds from a key limited to one service", async () => {
    await configure();
    const a = await queue();
    await t.json("/api/v1/services", "POST", { name: "other" });
    const owner = t.deps.repos.users.byEmail("owner@example.com");
    if (!owner) throw new Error("no owner");
    const key = createApiKey(t.deps, owner, { name: "o", scope: "deploy", service: "other" }).key;
    expect((await as(key, `/api/v1/builds/${a.id}`)).status).toBe(403);
    expect((await as(key, `/api/v1/builds/${a.id}/cancel`, "POST")).status).toBe(403);
  });
});

/** An artifact as the build runner leaves it: a row and its zip under bundles/. */
function storeArtifact(id: string, files: Record<string, string>, good = true) {
  const zip = makeZip(files);
  const sha256 = createHash("sha256").update(zip).digest("hex");
  fs.mkdirSync(path.join(t.dir, "bundles"), { recursive: true });
  fs.writeFileSync(path.join(t.dir, "bundles", `${sha256}.zip`), zip);
  const serviceId = t.deps.repos.services.byName("site")?.id ?? 0;
  return writeTx(t.deps.db, (tx) =>
    t.deps.repos.builds.insertArtifact(tx, {
      id,
      serviceId,
      buildId: null,
      commitSha: "a".repeat(40),
      bundleSha256: sha256,
      bundleBytes: zip.length,
      fileCount: Object.keys(files).length,
      good,
      createdAt: Date.now(),
    }),
  );
}

describe("artifacts", () => {
  it("lists artifacts and deploys one to any environment of its service", async () => {
    storeArtifact("site-20250101T000000Z", { "index.html": "old" }, false);
    storeArtifact("site-20250102T000000Z", { "index.html": "from artifact" });
    const list = (await (await t.request("/api/v1/services/site/artifacts")).json()) as {
      items: { id: string; good: boolean; bundle: { format: string } }[];
    };
    expect(list.items.map((a) => [a.id, a.good])).toEqual([
      ["site-20250102T000000Z", true],
      ["site-20250101T000000Z", false],
    ]);
    const res = await t.json("/api/v1/artifacts/site-20250102T000000Z/deploy", "POST", {
      environment: "staging",
    });
    expect(res.status).toBe(202);
    const d = (await res.json()) as { id: string; source: string; artifactId: string };
    expect(res.headers.get("location")).toBe(`/api/v1/deployments/${d.id}`);
    expect(d).toMatchObject({
      source: "build",
      artifactId: "site-20250102T000000Z",
      environment: "staging",
      message: "artifact site-20250102T000000Z",
      commit: "a".repeat(40),
    });
    expect((await waitForDeployment(t, d.id)).status).toBe("live");
    expect((await site(t, "staging--site.localhost")).body).toBe("from artifact");
  });

  it("404s for an unknown artifact or environment, 409 when its bundle is gone, 403 for a viewer", async () => {
    const a = storeArtifact("site-20250103T000000Z", { "index.html": "x" });
    const unknown = await t.json("/api/v1/artifacts/nope/deploy", "POST", {
      environment: "production",
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Err).error.code).toBe("artifact_not_found");
    const env = await t.json(`/api/v1/artifacts/${a.id}/deploy`, "POST", { environment: "qa" });
    expect(env.status).toBe(404);
    expect(((await env.json()) as Err).error.code).toBe("environment_not_found");
    const viewer = keyFor("viewer");
    expect(
      (await as(viewer, `/api/v1/artifacts/${a.id}/deploy`, "POST", { environment: "staging" }))
        .status,
    ).toBe(403);
    fs.rmSync(path.join(t.dir, "bundles", `${a.bundleSha256}.zip`));
    const gone = await t.json(`/api/v1/artifacts/${a.id}/deploy`, "POST", {
      environment: "staging",
    });
    expect(gone.status).toBe(409);
    expect(((await gone.json()) as Err).error.code).toBe("bundle_missing");
    expect((await t.request("/api/v1/services/nope/artifacts")).status).toBe(404);
  });
});

describe("health check settings", () => {
  const HEALTH = "/api/v1/services/site/environments/production/health";

  it("sets, shows and removes an environment's check", async () => {
    const set = await t.json(HEALTH, "PUT", {
      path: "/healthz",
      status: 204,
      keyword: "ok",
      timeoutMs: 2000,
      retries: 1,
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({
      path: "/healthz",
      status: 204,
      keyword: "ok",
      timeoutMs: 2000,
      retries: 1,
    });
    expect(await (await t.request(HEALTH)).json()).toMatchObject({ path: "/healthz" });
    const cleared = await t.json(HEALTH, "PUT", { path: null });
    expect(await cleared.json()).toMatchObject({ path: null, status: 204 });
  });

  it("refuses bad values with 422 naming the field, and a viewer with 403", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ path: "healthz" }, "healthPath"],
      [{ path: "/a b" }, "healthPath"],
      [{ path: "/", status: 99 }, "healthStatus"],
      [{ path: "/", timeoutMs: 10 }, "healthTimeoutMs"],
      [{ path: "/", retries: 11 }, "healthRetries"],
    ];
    for (const [body, field] of cases) {
      const res = await t.json(HEALTH, "PUT", body);
      expect(res.status, field).toBe(422);
      expect(((await res.json()) as Err).error.field).toBe(field);
    }
    expect((await t.json(HEALTH, "PUT", { status: 200 })).status).toBe(400);
    expect((await t.json(HEALTH, "PUT", { path: "/", retries: "3" })).status).toBe(400);
    const viewer = keyFor("viewer");
    expect((await as(viewer, HEALTH, "PUT", { path: "/" })).status).toBe(403);
    expect((await t.request("/api/v1/services/site/environments/qa/health")).status).toBe(404);
  });
});

describe("the OpenAPI document", () => {
  it("describes the build routes", async () => {
    const doc = (await (await t.request("/api/openapi.json")).json()) as {
      paths: Record<string, unknown>;
    };
    for (const p of [
      "/services/{service}/source",
      "/services/{service}/source/webhook-secret",
      "/services/{service}/builds",
      "/builds/{id}",
      "/builds/{id}/log",
      "/builds/{id}/cancel",
      "/services/{service}/artifacts",
      "/artifacts/{id}/deploy",
      "/services/{service}/environments/{env}/health",
    ]) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
  });
});
