import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import AdmZip from "adm-zip";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { type RunningServer, seedOwner, startServer } from "../helpers/server.ts";

/**
 * The whole loop in a real browser against the real server: sign in, create a service,
 * upload two releases through the upload form, watch each go live, see the site change,
 * roll back from the history and see the first release again.
 */

const EMAIL = "owner@example.com";
const PASSWORD = "e2e passphrase for berth";

function zipFile(dir: string, name: string, html: string): string {
  const zip = new AdmZip();
  zip.addFile("index.html", Buffer.from(html));
  zip.addFile("assets/site.css", Buffer.from("body { font-family: sans-serif }"));
  const file = path.join(dir, name);
  zip.writeZip(file);
  return file;
}

describe.skipIf(!hasChromium)("deploying through the web UI in Chromium", () => {
  let dir = "";
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let ui = "";
  let siteUrl = "";
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-e2e-"));
    const dataDir = path.join(dir, "data");
    fs.mkdirSync(dataDir);
    await seedOwner(dataDir, EMAIL, PASSWORD);
    server = await startServer(dataDir);
    // the UI at its public address (localhost); sites at <label>.localhost, all loopback
    ui = `http://localhost:${server.port}`;
    siteUrl = `http://production--shop.localhost:${server.port}/`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (err) => pageErrors.push(err.message));
  }, 30_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a site address in a second tab and returns what it shows. */
  async function siteText(): Promise<string> {
    const tab = await context.newPage();
    try {
      const res = await tab.goto(siteUrl);
      expect(res?.status()).toBe(200);
      return (await tab.locator("h1").textContent()) ?? "";
    } finally {
      await tab.close();
    }
  }

  /** Uploads a bundle through the form and waits until the page shows it live. */
  async function upload(file: string, message: string): Promise<void> {
    await page.setInputFiles("#bundle", file);
    await page.fill("#upload-message", message);
    await page.getByRole("button", { name: "Upload and deploy" }).click();
    // the release log streams in over SSE and the history refreshes when it ends
    const row = page.locator("#history tbody tr", { hasText: message });
    await row.locator(".badge-live").waitFor();
    await page.locator("#live .log", { hasText: "Live in" }).waitFor();
    await page.locator("#live .badge-live").waitFor();
    await page.locator("#summary", { hasText: message }).waitFor();
  }

  it("creates a service, deploys two releases, and rolls back to the first", async () => {
    const v1 = zipFile(dir, "v1.zip", "<h1>Version one</h1>");
    const v2 = zipFile(dir, "v2.zip", "<h1>Version two</h1>");

    await page.goto(`${ui}/login`);
    await page.fill("#email", EMAIL);
    await page.fill("#password", PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${ui}/`);
    await page.getByText("Ship your first site").waitFor();

    await page.fill("#service-name", "shop");
    await page.getByRole("button", { name: "Create service" }).click();
    await page.locator(".flash-ok", { hasText: "created" }).waitFor();
    await page.getByRole("link", { name: /upload its first release/ }).click();
    await page.waitForURL(`${ui}/services/shop`);
    await page.locator("a.env-name", { hasText: "production" }).click();
    await page.waitForURL(`${ui}/services/shop/environments/production`);

    await upload(v1, "first release");
    expect(await siteText()).toBe("Version one");

    await upload(v2, "second release");
    expect(await siteText()).toBe("Version two");

    const first = page.locator("#history tbody tr", { hasText: "first release" });
    await first.getByRole("button", { name: "Rollback" }).click();
    await first.locator(".badge-live").waitFor();
    await page
      .locator("#history tbody tr", { hasText: "second release" })
      .locator(".badge-superseded")
      .waitFor();
    await page.locator("#activity", { hasText: "Rolled back" }).waitFor();
    expect(await siteText()).toBe("Version one");

    expect(pageErrors).toEqual([]);
  }, 30_000);
});
