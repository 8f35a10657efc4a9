import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeZip } from "../helpers/app.ts";
import { fitProblems, hasChromium, launchChromium } from "../helpers/browser.ts";
import { type RunningServer, seedOwner, startServer } from "../helpers/server.ts";

/**
 * What a new user meets, in Chromium against the real server: every page fits a phone
 * (390 px) and a desktop (1280 px) with every control reachable; an ended session sends
 * an htmx click to sign in; dark mode; a zip of a folder is caught before it goes live.
 */

const EMAIL = "owner-with-a-rather-long-address@example.com";
const PASSWORD = "e2e passphrase for berth";
const LONG = "a-long-service-name-for-phones";
const WIDTHS = [390, 1280];

describe.skipIf(!hasChromium)("a new user's pages in Chromium", () => {
  let dir = "";
  let server: RunningServer;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let ui = "";
  let deploymentId = "";

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-e2e-new-"));
    const dataDir = path.join(dir, "data");
    fs.mkdirSync(dataDir);
    await seedOwner(dataDir, EMAIL, PASSWORD);
    server = await startServer(dataDir);
    ui = `http://localhost:${server.port}`;
    const json = { "content-type": "application/json" };
    await server.api("/services", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ name: LONG }),
    });
    const res = await server.api(`/services/${LONG}/environments/production/deployments`, {
      method: "POST",
      headers: { "content-type": "application/zip", "x-berth-message": "first" },
      body: new Uint8Array(makeZip({ "index.html": "<h1>hello</h1>" })),
    });
    deploymentId = ((await res.json()) as { id: string }).id;
    for (let i = 0; i < 400; i++) {
      const d = (await (await server.api(`/deployments/${deploymentId}`)).json()) as {
        status: string;
      };
      if (d.status === "live") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    // a domain with DNS by hand: its record (or what to set) shows inline on the domains card
    await server.api(`/services/${LONG}/environments/production/domains`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ hostname: "a-rather-long-domain-name-for-small-phones.example.com" }),
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${ui}/login`);
    await page.fill("#email", EMAIL);
    await page.fill("#password", PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${ui}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("every page fits 390 px and 1280 px, with the top bar's controls on screen", async () => {
    const env = `/services/${LONG}/environments/production`;
    const pages = [
      "/",
      `/services/${LONG}`,
      env,
      `${env}/history`,
      `${env}/domains`,
      `${env}/health`,
      `/services/${LONG}/builds`,
      `/services/${LONG}/builds/artifacts`,
      `/services/${LONG}/builds/source`,
      `/deployments/${deploymentId}`,
      "/users",
      "/keys",
      "/audit",
      "/settings",
      "/account",
      "/jobs",
      "/runs",
      "/templates",
      "/templates/new",
      "/monitors",
      "/incidents",
      "/notifications",
      `/services/${LONG}/errors`,
      "/settings/kubernetes",
      "/no/such/page",
    ];
    const problems: string[] = [];
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const p of pages) {
        await page.goto(`${ui}${p}`);
        for (const problem of await fitProblems(page)) problems.push(`${width}px ${p}: ${problem}`);
        if (p.endsWith("/domains")) {
          await page.locator(".dns-by-hand", { hasText: "DNS by hand" }).waitFor();
        }
        if (p === "/settings") {
          // a local install without a public address: a note, not an error
          expect(await page.locator("#dns .flash-error").count()).toBe(0);
        }
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it("after a rollback the log header follows; after the session ends a click goes to sign in", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    const res = await server.api(`/services/${LONG}/environments/production/deployments`, {
      method: "POST",
      headers: { "content-type": "application/zip", "x-berth-message": "second" },
      body: new Uint8Array(makeZip({ "index.html": "<h1>two</h1>" })),
    });
    const second = ((await res.json()) as { id: string }).id;
    const env = `${ui}/services/${LONG}/environments/production`;
    await page.goto(`${env}/history`);
    await page.locator("#live .card-head-meta .badge-live").waitFor();
    expect(await page.locator("#live .card-head-meta").textContent()).toContain(second.slice(-8));
    const first = page.locator("#history tbody tr", { hasText: deploymentId.slice(-8) });
    page.once("dialog", (d) => d.accept());
    await first.getByRole("button", { name: "Rollback" }).click();
    await first.locator(".badge-live").waitFor();
    // the header names the release rolled back from, and no longer calls it live
    await page.locator("#live .card-head-meta .badge-superseded").waitFor();

    // the session ends (signed out elsewhere): the next click signs in again, back here
    await context.clearCookies();
    const again = page.locator("#history tbody tr", { hasText: second.slice(-8) });
    page.once("dialog", (d) => d.accept());
    // the click, or a live part of the page refreshing first, meets the ended session:
    // either way the browser lands on sign-in with the page to come back to
    await Promise.all([
      page.waitForURL(/\/login\?next=/),
      again
        .getByRole("button", { name: "Rollback" })
        .click({ timeout: 5_000 })
        .catch(() => undefined),
    ]);
    expect(decodeURIComponent(page.url())).toContain(
      `next=/services/${LONG}/environments/production`,
    );
    expect(await page.locator("body").textContent()).not.toContain('"error"');
  }, 60_000);

  it("a zip of a folder dropped on the form is caught, fixed in one click, and promoted", async () => {
    await page.goto(`${ui}/login`);
    await page.fill("#email", EMAIL);
    await page.fill("#password", PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${ui}/**`);
    const env = `${ui}/services/${LONG}/environments/staging`;
    await server.api(`/services/${LONG}/environments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "staging" }),
    });
    await page.goto(env);
    // drag and drop: the dropped file becomes the form's file
    const zip = makeZip({ "dist/index.html": "<h1>from the folder</h1>" }).toString("base64");
    const dt = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob("${zip}"), (ch) => ch.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "site.zip", { type: "application/zip" }));
      return dt;
    })()`);
    await page.dispatchEvent("[data-dropzone]", "drop", { dataTransfer: dt });
    await page.locator("[data-dropzone-text]", { hasText: "site.zip" }).waitFor();
    await page.getByRole("button", { name: "Upload and deploy" }).click();
    const link = page.locator("[data-upload-progress-text] a");
    await link.waitFor();
    // before it goes live, the page says what is wrong and offers the fix
    await page.locator("#live .flash-error", { hasText: "one folder, dist/" }).waitFor();
    await page.getByRole("button", { name: "Deploy again with the folder as the root" }).click();
    await page.waitForURL(/\/deployments\//);
    await page.locator("#deployment-summary .badge-live").waitFor({ timeout: 15_000 });
    const tab = await context.newPage();
    await tab.goto(`http://staging--${LONG}.localhost:${server.port}/`);
    expect(await tab.locator("h1").textContent()).toBe("from the folder");
    await tab.close();
    // the deployment page: copy the preview URL, promote to production
    await page.getByRole("button", { name: "Copy preview URL" }).waitFor();
    await page.selectOption("#promote-env", "production");
    await page.getByRole("button", { name: "Promote" }).click();
    await page.waitForURL(/\/deployments\//);
    await page.locator("#deployment-summary .badge-live").waitFor({ timeout: 15_000 });
    expect(await page.locator(".crumbs, nav", { hasText: "production" }).count()).toBeGreaterThan(
      0,
    );
  }, 60_000);

  it("dark mode follows the system; sites get branded pages for 404 and nothing deployed", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${ui}/`);
    const bg = () => page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(await bg()).toBe("rgb(13, 17, 23)");
    const missing = await page.goto(`http://production--${LONG}.localhost:${server.port}/missing`);
    expect(missing?.status()).toBe(404);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    expect(await bg()).toBe("rgb(13, 17, 23)");
    await page.emulateMedia({ colorScheme: "light" });
    await server.api(`/services/${LONG}/environments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "preview" }),
    });
    const empty = await page.goto(`http://preview--${LONG}.localhost:${server.port}/`);
    expect(empty?.status()).toBe(404);
    await page.getByRole("heading", { name: "Nothing deployed yet" }).waitFor();
    expect(await bg()).toBe("rgb(245, 246, 248)");
  }, 30_000);
});
