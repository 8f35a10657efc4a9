import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import {
  createTestApp,
  makeZip,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(() => t.close());

const HX = { "HX-Request": "true" };

/** A form post as a browser sends it; `hx` adds the header htmx sends. */
function post(
  path: string,
  fields: Record<string, string>,
  opts: { hx?: boolean; key?: string } = {},
) {
  const headers: Record<string, string> = opts.hx ? { ...HX } : {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  return t.request(path, { method: "POST", headers, body: new URLSearchParams(fields) });
}

const services = async () =>
  ((await (await t.request("/api/v1/services")).json()) as { items: { name: string }[] }).items.map(
    (s) => s.name,
  );

/** The text of the element with this id attribute, roughly: enough to say what is beside what. */
const errorFor = (html: string, field: string) =>
  html.match(new RegExp(`id="${field}-error"[^>]*>([^<]*)<`))?.[1];

async function deploy(
  service: string,
  env: string,
  files: Record<string, string>,
  message?: string,
) {
  const res = await uploadZip(t, service, env, makeZip(files), message);
  expect(res.status).toBe(202);
  return waitForDeployment(t, ((await res.json()) as { id: string }).id);
}

describe("the dashboard", () => {
  it("explains how to start when there are no services", async () => {
    const res = await t.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("vary")).toContain("HX-Request");
    const html = await res.text();
    expect(html).toContain("<html");
    expect(html).toContain("Ship your first site");
    expect(html).toContain("New service");
    expect(html).toContain("owner@example.com"); // the signed-in viewer in the top bar
  });

  it("lists every service with each environment's live release and address", async () => {
    await t.json("/api/v1/services", "POST", {
      name: "site",
      environments: ["production", "staging"],
    });
    const d = await deploy("site", "production", { "index.html": "one" }, "First release");
    const html = await (await t.request("/")).text();
    expect(html).toContain('href="/services/site"');
    expect(html).toContain("First release");
    expect(html).toContain(String(d.id).slice(-8));
    expect(html).toContain("http://production--site.localhost:8080");
    expect(html).toContain("badge-live");
    expect(html).toContain("Nothing live yet"); // staging
    expect(html).not.toContain("Ship your first site");
  });

  it("creates a service from a plain form post and redirects to it", async () => {
    const res = await post("/services", { name: "blog", environments: "production, staging" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/services/blog");
    expect(await services()).toEqual(["blog"]);
    const page = await (await t.request("/services/blog")).text();
    expect(page).toContain("staging");
  });

  it("answers htmx with the dashboard fragment only", async () => {
    const res = await post("/services", { name: "blog", environments: "" }, { hx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("vary")).toContain("HX-Request");
    const html = await res.text();
    expect(html).not.toContain("<html");
    expect(html.trimStart().startsWith('<div id="dashboard"')).toBe(true);
    expect(html).toContain("Service <strong>blog</strong> created");
    const env = await t.request("/api/v1/services/blog/environments/production");
    expect(env.status).toBe(200); // an empty list means production
  });

  it("shows a bad name beside the name field with 422 and creates nothing", async () => {
    for (const hx of [true, false]) {
      const res = await post("/services", { name: "Bad Name", environments: "production" }, { hx });
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html.includes("<html")).toBe(!hx);
      expect(errorFor(html, "name")).toContain("must start with a letter");
      expect(html).toContain('value="Bad Name"'); // what was typed is kept
      expect(html).toMatch(/name="name"[^>]*aria-invalid="true"/);
    }
    expect(await services()).toEqual([]);
  });

  it("shows a bad environment name beside the environments field", async () => {
    const res = await post(
      "/services",
      { name: "blog", environments: "production, Stage!" },
      { hx: true },
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(errorFor(html, "environments")).toContain("environment name &quot;Stage!&quot;");
    expect(errorFor(html, "name")).toBeUndefined();
    expect(await services()).toEqual([]);
  });

  it("says a taken name is taken, beside the name", async () => {
    await post("/services", { name: "blog" });
    const res = await post("/services", { name: "blog" }, { hx: true });
    expect(res.status).toBe(409);
    expect(errorFor(await res.text(), "name")).toContain("already exists");
  });
});

describe("the service page", () => {
  beforeEach(async () => {
    await t.json("/api/v1/services", "POST", { name: "site" });
  });

  it("shows the environments with address, live release and last status", async () => {
    await deploy("site", "production", { "index.html": "x" }, "Hello");
    const html = await (await t.request("/services/site")).text();
    expect(html).toContain("<h1>site</h1>");
    expect(html).toContain("http://production--site.localhost:8080");
    expect(html).toContain("Hello");
    expect(html).toContain("badge-live");
    expect(html).toContain("Add an environment");
    expect(html).toContain("Delete service");
  });

  it("adds an environment over htmx and shows retention errors beside the field", async () => {
    const bad = await post(
      "/services/site/environments",
      { name: "staging", retention: "0" },
      { hx: true },
    );
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).not.toContain("<html");
    expect(errorFor(badHtml, "retention")).toContain("from 1 to 100");
    expect((await t.request("/api/v1/services/site/environments/staging")).status).toBe(404);

    const ok = await post(
      "/services/site/environments",
      { name: "staging", retention: "3", spaFallback: "on" },
      { hx: true },
    );
    expect(ok.status).toBe(200);
    const html = await ok.text();
    expect(html.trimStart().startsWith('<div id="environments"')).toBe(true);
    expect(html).toContain("Environment staging created.");
    const env = (await (await t.request("/api/v1/services/site/environments/staging")).json()) as {
      retention: number;
      spaFallback: boolean;
    };
    expect(env).toMatchObject({ retention: 3, spaFallback: true });
  });

  it("deletes an environment and, from a plain form, redirects back", async () => {
    await post("/services/site/environments", { name: "staging" });
    const res = await post("/services/site/environments/staging/delete", {});
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/services/site");
    expect((await t.request("/api/v1/services/site/environments/staging")).status).toBe(404);
  });

  it("deletes the service: htmx is sent home with HX-Redirect", async () => {
    const res = await post("/services/site/delete", {}, { hx: true });
    expect(res.headers.get("hx-redirect")).toBe("/");
    expect(await services()).toEqual([]);
  });

  it("answers a missing service with an HTML 404 page", async () => {
    const res = await t.request("/services/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("There is no service named &quot;nope&quot;.");
  });

  it("never answers bad input with a 500", async () => {
    const attempts = [
      post("/services", {}),
      post("/services/site/environments", { retention: "many" }),
      post("/services/site/environments/production/settings", { retention: "-1" }),
      post("/services/site/environments/production/rollback", { deploymentId: "nope" }),
      post("/services/site/environments/production/redeploy", {}),
      t.request("/services/site/environments/production/deployments", {
        method: "POST",
        body: "x",
      }),
      t.request("/services", {
        method: "POST",
        headers: { "content-type": "multipart/form-data" },
        body: "x",
      }),
      t.request("/deployments/nope"),
      t.request("/ui/deployments/nope/log"),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status, res.url).toBeGreaterThanOrEqual(400);
      expect(res.status, res.url).toBeLessThan(500);
    }
  });
});

describe("access", () => {
  it("shows a read-only key the pages without the buttons, and refuses its changes", async () => {
    await t.json("/api/v1/services", "POST", { name: "site" });
    const a = await deploy("site", "production", { "index.html": "a" });
    await deploy("site", "production", { "index.html": "b" });
    const owner = t.deps.repos.users.byEmail("owner@example.com");
    if (!owner) throw new Error("no owner");
    const { key } = createApiKey(t.deps, owner, { name: "reader", scope: "read" });
    const auth = { headers: { authorization: `Bearer ${key}` } };

    const dash = await (await t.request("/", auth)).text();
    expect(dash).toContain('href="/services/site"');
    expect(dash).not.toContain("New service");
    const env = await (await t.request("/services/site/environments/production", auth)).text();
    expect(env).toContain("History");
    expect(env).not.toContain("Upload and deploy");
    expect(env).not.toContain(">Rollback<");
    expect(env).toContain("Only admins and owners can change these.");

    const refused = await post(
      "/services/site/environments/production/rollback",
      { deploymentId: String(a.id) },
      { hx: true, key },
    );
    expect(refused.status).toBe(403);
    expect(await services()).toEqual(["site"]);
  });

  it("sends a visitor who is not signed in to the sign-in page", async () => {
    const res = await t.anon("/services/site");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^\/login/);
  });
});
