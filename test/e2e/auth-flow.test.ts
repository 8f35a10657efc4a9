import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeZip } from "../helpers/app.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { fetchSite, type RunningServer, startServer } from "../helpers/server.ts";

/**
 * First run to CI key in a real browser: the setup link from the log, sign out and in,
 * a key made on the API keys page, a deploy with that key from curl, then sign out.
 */
describe.skipIf(!hasChromium)("setting Berth up and deploying with a key, in Chromium", () => {
  let dir = "";
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let ui = "";

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-e2e-auth-"));
    server = await startServer(path.join(dir, "data"), {}, { seed: false });
    ui = `http://localhost:${server.port}`;
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
  }, 30_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("setup → login → create a key → deploy with it from curl → logout", async () => {
    const link = /(http:\/\/localhost:\d+\/setup\?token=[a-z2-7]+)/.exec(
      server?.output() ?? "",
    )?.[1];
    expect(link, "the setup link is logged at start").toBeTruthy();

    // anyone without the link gets no further than the explanation
    await page.goto(`${ui}/`);
    await page.waitForURL(`${ui}/login`);
    await page.getByText("setup link").waitFor();

    await page.goto(link as string);
    await page.fill("#email", "ops@example.com");
    await page.fill("#password", "short");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.getByText("at least 12 characters").waitFor();
    await page.fill("#password", "a long enough passphrase");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(`${ui}/`);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${ui}/login`);
    await page.fill("#email", "ops@example.com");
    await page.fill("#password", "a long enough passphrase");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${ui}/`);

    await page.fill("#service-name", "docs");
    await page.getByRole("button", { name: "Create service" }).click();
    await page.locator(".flash-ok", { hasText: "created" }).waitFor();

    await page.getByRole("link", { name: "API keys" }).click();
    await page.waitForURL(`${ui}/keys`);
    await page.fill("#key-name", "ci");
    await page.selectOption("#key-scope", "deploy");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = ((await page.locator("#new-key").textContent()) ?? "").trim();
    expect(key).toMatch(/^berth_[a-z2-7]{32}$/);
    // after a reload only the prefix is left
    await page.reload();
    await page.locator("#keys td", { hasText: key.slice(0, 14) }).waitFor();
    expect(await page.content()).not.toContain(key);

    const bundle = path.join(dir, "site.zip");
    fs.writeFileSync(bundle, makeZip({ "index.html": "<h1>from curl</h1>" }));
    const curl = spawnSync(
      "curl",
      [
        "-sS",
        "-H",
        `Authorization: Bearer ${key}`,
        "-F",
        `bundle=@${bundle}`,
        "-F",
        "message=ci deploy",
        `${ui}/api/v1/services/docs/environments/production/deployments`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(curl.status, curl.stderr).toBe(0);
    const accepted = JSON.parse(curl.stdout) as { id: string; status: string };
    expect(accepted.status).toBe("queued");
    for (let i = 0; ; i++) {
      const site = await fetchSite(server as RunningServer, "production--docs.localhost");
      if (site.body === "<h1>from curl</h1>") break;
      if (i > 200) throw new Error(`site never showed the deploy: ${site.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.goto(`${ui}/audit`);
    await page.locator("#audit tr", { hasText: "deployment.create" }).first().waitFor();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${ui}/login`);
    await page.goto(`${ui}/keys`);
    await page.waitForURL(/\/login\?next=%2Fkeys$/);
  }, 40_000);
});
