import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeTx } from "../../src/db/client.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { queueBuild } from "../../src/services/builds/queue.ts";
import { createTestApp, makeZip, type TestApp, waitForDeployment } from "../helpers/app.ts";

/** A token is only for https sources; these tests never clone, so the host is not reached. */
const HTTPS_REPO = "https://git.example.test/acme/site.git";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", {
    name: "site",
    environments: ["production", "staging"],
  });
});
afterEach(() => t.close());

const BUILDS = "/services/site/builds";
const HX = { "HX-Request": "true" };

const post = (p: string, fields: Record<string, string>, hx = true, key?: string) =>
  t.request(p, {
    method: "POST",
    headers: { ...(hx ? HX : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: new URLSearchParams(fields),
  });
const page = async (p: string, key?: string) =>
  (await t.request(p, key ? { headers: { authorization: `Bearer ${key}` } } : {})).text();

const sourceFields = (over: Record<string, string> = {}) => ({
  repoUrl: HTTPS_REPO,
  credential: "glpat-secret-token-value",
  commands: "npm ci\nnpm run build\n",
  outputDir: "dist",
  branches: "main = production\n# comment\ndevelop = staging",
  variables: "PUBLIC_URL=https://example.com\nsecret API_TOKEN=tok-hidden-value",
  timeoutSeconds: "600",
  ...over,
});

function viewerKey() {
  const user = t.deps.repos.users.insert(t.deps.db, {
    email: "viewer@example.com",
    passwordHash: "unused",
    role: "viewer",
    services: null,
  });
  return createApiKey(t.deps, user, { name: "v", scope: "admin" }).key;
}

const service = () => {
  const s = t.deps.repos.services.byName("site");
  if (!s) throw new Error("no service");
  return s;
};

async function connect() {
  const res = await post("/services/site/source", sourceFields());
  expect(res.status).toBe(200);
  return res.text();
}

describe("the Builds tab", () => {
  it("is linked from the service page and offers to connect a repository", async () => {
    expect(await page("/services/site")).toContain(`href="/services/site/builds"`);
    const html = await page(BUILDS);
    expect(html).toContain("<html");
    expect(html).toContain('aria-current="page">Builds</a>');
    expect(html).toContain('name="repoUrl"');
    expect(html).toContain("Connect repository");
    expect(html).not.toContain("Build now");
  });

  it("connects a repository, shows the webhook secret once, and never shows the credential", async () => {
    const html = await connect();
    expect(html.trimStart()).toMatch(/^<div id="source"/);
    const row = t.deps.repos.builds.source(service().id);
    const secret = t.deps.secrets.decrypt(row?.webhookSecret ?? "");
    expect(html).toContain(`<code id="webhook-secret" class="mono">${secret}</code>`);
    expect(html).toContain('data-copy="#webhook-secret"');
    expect(html).toContain("http://localhost:8080/hooks/github/site");
    expect(html).toContain("http://localhost:8080/hooks/gitlab/site");
    expect(row).toMatchObject({
      commands: ["npm ci", "npm run build"],
      branches: { main: "production", develop: "staging" },
      timeoutSeconds: 600,
    });
    expect(t.deps.secrets.decrypt(row?.credential ?? "")).toBe("glpat-secret-token-value");

    const later = await page(BUILDS);
    expect(later).not.toContain(secret);
    expect(later).not.toContain("glpat-secret-token-value");
    expect(later).not.toContain("tok-hidden-value");
    expect(later).toContain("secret API_TOKEN=</textarea>"); // listed without its value
    expect(later).toContain("PUBLIC_URL=https://example.com");
    expect(later).toContain('<span class="tag">set</span>');
    expect(later).toContain("Build now");

    // saving again keeps the secret variable and the credential, and shows no secret
    const again = await post(
      "/services/site/source",
      sourceFields({ credential: "", variables: "secret API_TOKEN=" }),
    );
    const saved = await again.text();
    expect(saved).toContain("Saved.");
    expect(saved).not.toContain('id="webhook-secret"');
    const kept = t.deps.repos.builds.source(service().id);
    expect(kept?.credential).toBe(row?.credential);
    expect(t.deps.secrets.decrypt(kept?.variables[0]?.value ?? "")).toBe("tok-hidden-value");
    expect(again.headers.get("hx-trigger")).toContain("source-changed");
  });

  it("re-renders the form with the message beside the field", async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ branches: "main production" }, "branches", "is not &quot;branch = environment&quot;"],
      [{ branches: "main = nowhere" }, "branches", "has no environment &quot;nowhere&quot;"],
      [{ repoUrl: "http://example.com/x.git" }, "repoUrl", "unsupported scheme"],
      [{ commands: "" }, "commands", "one to twenty build commands"],
      [{ variables: "no equals sign" }, "variables", "is not NAME=value"],
      [{ timeoutSeconds: "5" }, "timeoutSeconds", "10 s to 6 h"],
    ];
    for (const [over, field, message] of cases) {
      const res = await post("/services/site/source", sourceFields(over));
      expect(res.status, field).toBe(422);
      const html = await res.text();
      expect(html).toContain(`id="${field}-error"`);
      expect(html).toContain(message);
      expect(html).toContain('aria-invalid="true"');
      // what was typed stays (the credential, write-only, does not)
      if (field !== "repoUrl") expect(html).toContain(`value="${HTTPS_REPO}"`);
      expect(html).not.toContain("glpat-secret-token-value");
    }
    expect(t.deps.repos.builds.source(service().id)).toBeUndefined();
  });

  it("rotates the webhook secret and shows the new one once", async () => {
    await connect();
    const before = t.deps.repos.builds.source(service().id)?.webhookSecret;
    const res = await post("/services/site/source/webhook-secret", {});
    const html = await res.text();
    const after = t.deps.repos.builds.source(service().id)?.webhookSecret ?? "";
    expect(after).not.toBe(before);
    expect(html).toContain(`${t.deps.secrets.decrypt(after)}</code>`);
  });

  it("queues a build from Build now and goes to its page", async () => {
    await connect();
    const res = await post(BUILDS, { ref: "develop" });
    const href = res.headers.get("hx-redirect") ?? "";
    expect(href).toMatch(/^\/builds\/[0-9a-z]{26}$/);
    const plain = await post(BUILDS, { ref: "" }, false);
    expect(plain.status).toBe(303);
    const id = href.split("/").at(-1) ?? "";
    expect(t.deps.repos.builds.byId(id)).toMatchObject({
      trigger: "manual",
      triggeredBy: expect.stringMatching(/^berth_/),
      ref: "develop",
      environment: "staging",
    });
    const bad = await post(BUILDS, { ref: "--upload-pack=evil" });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html.trimStart()).toMatch(/^<section id="builds"/);
    expect(html).toContain('id="ref-error"');
  });

  it("lists builds with status, who, ref, commit and queue position, refreshing while in flight", async () => {
    await connect();
    const a = queueBuild(t.deps, service(), {
      ref: "main",
      trigger: "github",
      triggeredBy: "push by octocat",
      commitSha: "0123456789abcdef0123456789abcdef01234567",
      commitMessage: "<b>Bold</b> move",
    });
    queueBuild(t.deps, service(), { ref: "feature", trigger: "manual", triggeredBy: "me" });
    const res = await t.request(`${BUILDS}/list`, { headers: HX });
    const html = await res.text();
    expect(html.trimStart()).toMatch(/^<section id="builds"/);
    expect(html).toContain("every 3s");
    const row = html.match(new RegExp(`<tr id="build-${a.id}"[\\s\\S]*?</tr>`))?.[0] ?? "";
    expect(row).toContain("badge-queued");
    expect(row).toContain("push by octocat");
    expect(row).toContain("→ production");
    expect(row).toContain("01234567");
    expect(row).toContain("&lt;b&gt;Bold&lt;/b&gt; move");
    expect(row).toContain("#1 in queue");
    expect(html).toContain("#2 in queue");
  });
});

describe("the build page", () => {
  it("shows the summary and a live log, and cancels a queued build", async () => {
    await connect();
    const b = queueBuild(t.deps, service(), { ref: "main", trigger: "manual", triggeredBy: "me" });
    const html = await page(`/builds/${b.id}`);
    expect(html).toContain(`Build <span class="mono">${b.id.slice(-8)}</span>`);
    expect(html).toContain("next to start");
    expect(html).toContain(`hx-sse:connect="/ui/builds/${b.id}/log?after=`);
    expect(html).toContain("Queued by me for main");
    expect(html).toContain(">Cancel</button>");

    const res = await post(`/builds/${b.id}/cancel`, {});
    expect(res.status).toBe(200);
    const summary = await res.text();
    expect(summary.trimStart()).toMatch(/^<section id="build-summary"/);
    expect(summary).toContain("badge-cancelled");
    expect(summary).not.toContain(">Cancel</button>");
    const again = await post(`/builds/${b.id}/cancel`, {});
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("nothing to cancel");

    const finished = await page(`/builds/${b.id}`);
    expect(finished).not.toContain("hx-sse:connect");
    const sse = await (await t.request(`/ui/builds/${b.id}/log`)).text();
    expect(sse).toContain('<li class="log-line log-warn log-system">');
    expect(sse).toContain("Cancelled by");
    expect(sse).toMatch(/event: log-end\ndata: cancelled/);
    expect((await t.request("/builds/nope")).status).toBe(404);
  });

  it("shows a failure with its command and exit code", async () => {
    await connect();
    const b = queueBuild(t.deps, service(), { ref: "main", trigger: "manual", triggeredBy: "me" });
    t.deps.repos.builds.update(b.id, {
      status: "failed",
      failedCommand: "npm run build",
      exitCode: 2,
      errorMessage: "npm run build exited with 2",
      startedAt: 1_000,
      finishedAt: 126_000,
    });
    const html = await page(`/builds/${b.id}`);
    expect(html).toContain("<code>npm run build</code> (exit code 2)");
    expect(html).toContain("2 min 05 s");
  });
});

describe("a finished build whose deployment is still running", () => {
  it("follows the deployment's log stream, so its status label never goes stale", async () => {
    await connect();
    const b = queueBuild(t.deps, service(), { ref: "main", trigger: "manual", triggeredBy: "me" });
    const env = t.deps.repos.environments.listForService(service().id)[0];
    const deploymentId = "01jd0000000000000000000000";
    writeTx(t.deps.db, (tx) => {
      t.deps.repos.deployments.insert(tx, {
        id: deploymentId,
        environmentId: env?.id as number,
        source: "build",
        artifactId: null,
        redeployOf: null,
        bundleSha256: "0".repeat(64),
        bundleFormat: "zip",
        bundleBytes: 1,
        message: null,
        commit: null,
      });
    });
    t.deps.repos.builds.update(b.id, { status: "succeeded", deploymentId, finishedAt: Date.now() });
    const running = await page(`/builds/${b.id}`);
    expect(running).toContain(`hx-sse:connect="/ui/deployments/${deploymentId}/log`);
    expect(running).toContain('hx-trigger="log-end from:document"');
    writeTx(t.deps.db, (tx) => {
      t.deps.repos.deployments.transition(tx, deploymentId, "preparing");
      t.deps.repos.deployments.transition(tx, deploymentId, "failed");
    });
    expect(await page(`/builds/${b.id}`)).not.toContain("hx-sse:connect");
  });
});

describe("artifacts", () => {
  function storeArtifact(id: string, good: boolean) {
    const zip = makeZip({ "index.html": id });
    const sha = createHash("sha256").update(zip).digest("hex");
    fs.mkdirSync(path.join(t.dir, "bundles"), { recursive: true });
    fs.writeFileSync(path.join(t.dir, "bundles", `${sha}.zip`), zip);
    writeTx(t.deps.db, (tx) =>
      t.deps.repos.builds.insertArtifact(tx, {
        id,
        serviceId: service().id,
        buildId: null,
        commitSha: "f".repeat(40),
        bundleSha256: sha,
        bundleBytes: zip.length,
        fileCount: 1,
        good,
        createdAt: Date.now(),
      }),
    );
  }

  it("are listed with good/bad marks and deployed to a chosen environment", async () => {
    storeArtifact("site-20250101T000000Z", true);
    storeArtifact("site-20250102T000000Z", false);
    const html = await (await t.request(`${BUILDS}/artifacts`, { headers: HX })).text();
    expect(html.trimStart()).toMatch(/^<section id="artifacts"/);
    const row = (id: string) =>
      html.match(new RegExp(`<tr id="artifact-${id}"[\\s\\S]*?</tr>`))?.[0] ?? "";
    expect(row("site-20250101T000000Z")).toContain("badge-good");
    expect(row("site-20250102T000000Z")).toContain("badge-bad");
    expect(row("site-20250101T000000Z")).toContain('<option value="staging">staging</option>');

    const res = await post("/services/site/artifacts/site-20250101T000000Z/deploy", {
      environment: "staging",
    });
    const href = res.headers.get("hx-redirect") ?? "";
    expect(href).toMatch(/^\/deployments\//);
    const d = await waitForDeployment(t, href.split("/").at(-1) ?? "");
    expect(d).toMatchObject({ status: "live", artifactId: "site-20250101T000000Z" });

    const bad = await post("/services/site/artifacts/site-20250101T000000Z/deploy", {
      environment: "qa",
    });
    expect(bad.status).toBe(404);
    expect(await bad.text()).toContain("has no environment named");
    const other = await post("/services/site/artifacts/nope/deploy", { environment: "staging" });
    expect(other.status).toBe(404);
  });
});

describe("what a viewer sees", () => {
  it("shows everything read-only and refuses the actions", async () => {
    await connect();
    const b = queueBuild(t.deps, service(), { ref: "main", trigger: "manual", triggeredBy: "me" });
    const key = viewerKey();
    const html = await page(BUILDS, key);
    expect(html).toContain("http://localhost:8080/hooks/github/site");
    expect(html).toContain("Only admins and owners can change these.");
    expect(html).not.toContain('name="repoUrl"');
    expect(html).not.toContain("Rotate secret");
    expect(html).not.toContain("Build now");
    expect(await page(`/builds/${b.id}`, key)).not.toContain(">Cancel</button>");
    expect((await post(BUILDS, { ref: "main" }, true, key)).status).toBe(403);
    expect((await post(`/builds/${b.id}/cancel`, {}, true, key)).status).toBe(403);
    expect((await post("/services/site/source", sourceFields(), true, key)).status).toBe(403);
    expect((await post("/services/site/source/webhook-secret", {}, true, key)).status).toBe(403);
    const env = await page("/services/site/environments/production", key);
    expect(env).toContain('<section id="health"');
    expect(env).not.toContain('name="path"');
    expect(
      (await post("/services/site/environments/production/health", { path: "/" }, true, key))
        .status,
    ).toBe(403);
  });
});

describe("the health check card", () => {
  const ENV = "/services/site/environments/production";

  it("is on the environment page and saves a check", async () => {
    const html = await page(ENV);
    expect(html).toContain('<section id="health"');
    expect(html).toContain(
      'name="retries" type="number" min="0" max="10" inputmode="numeric" value="3"',
    );
    const res = await post(`${ENV}/health`, {
      path: "/healthz",
      status: "200",
      keyword: "ok",
      timeoutMs: "2000",
      retries: "1",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("hx-trigger")).toContain("env-changed");
    const saved = await res.text();
    expect(saved.trimStart()).toMatch(/^<section id="health"/);
    expect(saved).toContain("Saved.");
    expect(saved).toContain('value="/healthz"');
    const env = t.deps.repos.environments.byName(service().id, "production");
    expect(env).toMatchObject({ healthPath: "/healthz", healthKeyword: "ok", healthRetries: 1 });
    expect((await t.request(`${ENV}/health`, { headers: HX })).status).toBe(200);
  });

  it("shows errors beside the fields", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ path: "healthz" }, "path"],
      [{ path: "/", status: "42" }, "status"],
      [{ path: "/", timeoutMs: "abc" }, "timeoutMs"],
      [{ path: "/", retries: "99" }, "retries"],
    ];
    for (const [fields, field] of cases) {
      const res = await post(`${ENV}/health`, fields);
      expect(res.status, field).toBe(422);
      const html = await res.text();
      expect(html).toContain(`id="${field}-error"`);
    }
  });
});
