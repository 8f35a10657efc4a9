import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createTestApp,
  makeZip,
  site,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp({ retention: 2 });
  await t.json("/api/v1/services", "POST", { name: "site" });
});
afterEach(() => t.close());

const ENV = "/services/site/environments/production";
const HX = { "HX-Request": "true" };

type D = { id: string; status: string };

async function deploy(files: Record<string, string>, message?: string): Promise<D> {
  const res = await uploadZip(t, "site", "production", makeZip(files), message);
  expect(res.status).toBe(202);
  return (await waitForDeployment(t, ((await res.json()) as D).id)) as unknown as D;
}

function post(path: string, fields: Record<string, string>, hx = true) {
  return t.request(path, {
    method: "POST",
    headers: hx ? HX : {},
    body: new URLSearchParams(fields),
  });
}

const live = async () =>
  ((await (await t.request(`/api/v1${ENV}`)).json()) as { live: { id: string } | null }).live?.id;

/** The history row of one deployment. */
const row = (html: string, id: string) =>
  html.match(new RegExp(`<tr id="deployment-${id}"[\\s\\S]*?</tr>`))?.[0] ?? "";

describe("the environment page", () => {
  it("shows history, the newest log, settings and activity with real data", async () => {
    const a = await deploy({ "index.html": "a" }, "First");
    const b = await deploy({ "index.html": "b", "app.js": "1" }, "Second");
    const html = await (await t.request(ENV)).text();
    expect(html).toContain("<html");
    expect(html).toContain("http://production--site.localhost:8080");
    // history: newest first, with status, message, files, and what can be done
    expect(html.indexOf(`deployment-${b.id}`)).toBeLessThan(html.indexOf(`deployment-${a.id}`));
    expect(row(html, b.id)).toContain("badge-live");
    expect(row(html, b.id)).not.toContain(">Rollback<");
    expect(row(html, a.id)).toContain("badge-superseded");
    expect(row(html, a.id)).toContain(">Rollback<");
    expect(row(html, a.id)).toContain(`http://${a.id}--site.localhost:8080`);
    expect(row(html, b.id)).toMatch(/<td class="num">2<\/td>/);
    // the newest deployment's log, finished, so not streaming
    expect(html).toContain(`id="log-${b.id}"`);
    expect(html).toContain("Live in");
    expect(html).not.toContain("hx-sse:connect");
    expect(html).toContain("Upload and deploy");
    expect(html).toContain(
      'name="retention" type="number" min="1" max="100" inputmode="numeric" value="2"',
    );
    expect(html).toContain(`Deployment ${b.id.slice(-8)} is live.`);
  });

  it("escapes a commit message that holds markup", async () => {
    const res = await t.request(
      `/api/v1${ENV}/deployments?message=${encodeURIComponent("<script>alert(1)</script>")}&commit=%3Cb%3E`,
      {
        method: "POST",
        headers: { "content-type": "application/zip" },
        body: new Uint8Array(makeZip({ "index.html": "x" })),
      },
    );
    const { id } = (await res.json()) as D;
    await waitForDeployment(t, id);
    for (const path of [ENV, `/deployments/${id}`, "/", "/services/site"]) {
      const html = await (await t.request(path)).text();
      expect(html, path).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(html, path).not.toContain("<script>alert(1)");
      expect(html, path).not.toContain("<b>");
    }
  });

  it("gives htmx one part of the page, and the whole page to a history restore", async () => {
    await deploy({ "index.html": "a" });
    for (const part of ["history", "live", "summary", "activity", "settings"]) {
      const res = await t.request(`${ENV}/${part}`, { headers: HX });
      expect(res.headers.get("vary")).toContain("HX-Request");
      const html = await res.text();
      expect(html, part).not.toContain("<html");
      expect(html.trimStart(), part).toMatch(new RegExp(`^<section id="${part}"`));
    }
    // the log panel, finding its deployment finished, tells the other parts to refresh
    const panel = await t.request(`${ENV}/live`, { headers: HX });
    expect(panel.headers.get("hx-trigger")).toContain("deployment-settled");
    const restore = await t.request(`${ENV}/history`, {
      headers: { ...HX, "HX-History-Restore-Request": "true" },
    });
    expect(await restore.text()).toContain("<html");
    const plain = await t.request(`${ENV}/history`);
    expect(await plain.text()).toContain("<html");
  });

  it("rolls back from the history and answers with the updated history", async () => {
    const a = await deploy({ "index.html": "A" }, "v1");
    const b = await deploy({ "index.html": "B" }, "v2");
    const res = await post(`${ENV}/rollback`, { deploymentId: a.id });
    expect(res.status).toBe(200);
    expect(res.headers.get("hx-trigger")).toContain("env-changed");
    const html = await res.text();
    expect(html.trimStart().startsWith('<section id="history"')).toBe(true);
    expect(row(html, a.id)).toContain("badge-live");
    expect(row(html, b.id)).toContain(">Rollback<");
    expect(await live()).toBe(a.id);
    expect((await site(t, "production--site.localhost")).body).toBe("A");

    // a plain form post is sent back to the page
    const plain = await post(`${ENV}/rollback`, { deploymentId: b.id }, false);
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe(ENV);
    expect(await live()).toBe(b.id);
  });

  it("shows a refused rollback in the history instead of failing", async () => {
    const a = await deploy({ "index.html": "A" });
    const res = await post(`${ENV}/rollback`, { deploymentId: a.id });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).not.toContain("<html");
    expect(html).toContain(`Deployment ${a.id} is already live.`);
  });

  it("offers Redeploy for a pruned release and redeploys it", async () => {
    const a = await deploy({ "index.html": "A" }, "old");
    await deploy({ "index.html": "B" });
    await deploy({ "index.html": "C" }); // retention 2: A is pruned
    const page = await (await t.request(ENV)).text();
    expect(row(page, a.id)).toContain("pruned");
    expect(row(page, a.id)).toContain(">Redeploy<");
    expect(row(page, a.id)).not.toContain(">Rollback<");

    const res = await post(`${ENV}/redeploy`, { deploymentId: a.id });
    expect(res.status).toBe(200);
    expect(res.headers.get("hx-trigger")).toContain("deployment-created");
    const html = await res.text();
    const newest = html.match(/<tr id="deployment-(\w+)"/)?.[1] ?? "";
    expect(newest).not.toBe(a.id);
    expect((await waitForDeployment(t, newest)).status).toBe("live");
    expect((await site(t, "production--site.localhost")).body).toBe("A");
  });

  it("saves settings, or shows the problem beside the field", async () => {
    const bad = await post(`${ENV}/settings`, { retention: "1000", spaFallback: "on" });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toMatch(/id="retention-error"[^>]*>Retention must be a whole number/);
    expect(badHtml).toContain('value="1000"');

    const ok = await post(`${ENV}/settings`, { retention: "5", spaFallback: "on" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("hx-trigger")).toContain("env-changed");
    expect(await ok.text()).toContain("Saved.");
    const env = (await (await t.request(`/api/v1${ENV}`)).json()) as {
      retention: number;
      spaFallback: boolean;
    };
    expect(env).toMatchObject({ retention: 5, spaFallback: true });
    const activity = await (await t.request(`${ENV}/activity`, { headers: HX })).text();
    expect(activity).toContain("Settings changed: retention 5, SPA fallback on.");
  });

  it("accepts an upload from the form without JavaScript", async () => {
    const form = new FormData();
    form.set("bundle", new Blob([new Uint8Array(makeZip({ "index.html": "plain" }))]), "site.zip");
    form.set("message", "no js");
    const res = await t.request(`${ENV}/deployments`, { method: "POST", body: form });
    expect(res.status).toBe(303);
    const id = res.headers.get("location")?.replace("/deployments/", "") ?? "";
    expect((await waitForDeployment(t, id)).status).toBe("live");

    const broken = new FormData();
    broken.set("bundle", new Blob([new Uint8Array(Buffer.from("not a zip"))]), "site.zip");
    const bad = await t.request(`${ENV}/deployments`, { method: "POST", body: broken });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/data-upload-error role="alert">[^<]+</);
  });
});

describe("the deployment page", () => {
  it("shows status, size, checksum, preview link and the log", async () => {
    const d = await deploy({ "index.html": "hello", "a.txt": "12345" }, "Ship it");
    const full = (await (await t.request(`/api/v1/deployments/${d.id}`)).json()) as {
      bundle: { sha256: string };
    };
    const html = await (await t.request(`/deployments/${d.id}`)).text();
    expect(html).toContain(`Deployment <span class="mono">${d.id.slice(-8)}</span>`);
    expect(html).toContain("badge-live");
    expect(html).toContain("Ship it");
    expect(html).toContain(full.bundle.sha256);
    expect(html).toContain("10 B"); // 5 + 5 bytes unpacked
    expect(html).toContain(`http://${d.id}--site.localhost:8080`);
    expect(html).toContain("Validated 2 files");
    expect(html).not.toContain("hx-sse:connect"); // finished: nothing to stream

    const part = await t.request(`/deployments/${d.id}/summary`, { headers: HX });
    const partHtml = await part.text();
    expect(partHtml).not.toContain("<html");
    expect(partHtml.trimStart().startsWith('<section id="deployment-summary"')).toBe(true);
  });

  it("shows the stage and reason of a failure", async () => {
    // a file where the releases directory should be: extraction cannot make its staging dir
    const releases = t.deps.layout.releasesDir("site", "production");
    fs.mkdirSync(path.dirname(releases), { recursive: true });
    fs.writeFileSync(releases, "in the way");
    const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "x" }));
    const { id } = (await res.json()) as D;
    expect((await waitForDeployment(t, id)).status).toBe("failed");
    const html = await (await t.request(`/deployments/${id}`)).text();
    expect(html).toContain("badge-failed");
    expect(html).toMatch(/Failed at extract<\/strong> <code>internal_error<\/code>: /);
    const env = await (await t.request(ENV)).text();
    expect(env).toContain("Failed at extract:");
  });
});

describe("the live log stream", () => {
  it("sends each stored line as an HTML fragment and ends with log-end", async () => {
    const d = await deploy({ "index.html": "x" }, "<i>msg</i>");
    const res = await t.request(`/ui/deployments/${d.id}/log`);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text(); // ends: the deployment is finished
    const lines = text.split("\n\n").filter(Boolean);
    expect(lines[0]).toMatch(
      /^data: <li class="log-line log-info">.*Received zip bundle.*<\/li>\nid: \d+$/,
    );
    expect(text).not.toContain("event: line");
    expect(lines.at(-1)).toBe("event: log-end\ndata: live");
  });

  it("resumes after Last-Event-ID (or ?after) instead of repeating lines", async () => {
    const d = await deploy({ "index.html": "x" });
    const all = await (await t.request(`/ui/deployments/${d.id}/log`)).text();
    const ids = [...all.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBeGreaterThan(3);
    const second = ids[1] ?? 0;
    const resumed = await (
      await t.request(`/ui/deployments/${d.id}/log?after=0`, {
        headers: { "last-event-id": String(second) },
      })
    ).text();
    expect([...resumed.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual(ids.slice(2));
    const after = await (await t.request(`/ui/deployments/${d.id}/log?after=${ids.at(-1)}`)).text();
    expect(after).toBe("event: log-end\ndata: live\n\n");
  });

  it("streams a running deployment until it finishes", async () => {
    const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "x" }));
    const { id } = (await res.json()) as D;
    const stream = await t.request(`/ui/deployments/${id}/log`);
    const text = await stream.text();
    expect(text).toContain("Live in");
    expect(text.trimEnd().endsWith("event: log-end\ndata: live")).toBe(true);
    const page = await (await t.request(`/deployments/${id}`)).text();
    expect(page).toContain("badge-live");
  });
});
