import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bind, startBind } from "../helpers/bind.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";

/** The Settings page in a real browser: choose RFC 2136, check against BIND, save. */
describe.skipIf(!hasChromium)("DNS settings in Chromium", () => {
  let dir = "";
  let bind: Bind | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-e2e-dns-"));
    bind = await startBind();
    server = await startServer(path.join(dir, "data"), { BERTH_PUBLIC_IPV4: "192.0.2.44" });
    browser = await launchChromium();
    const context = await browser.newContext({
      extraHTTPHeaders: { authorization: `Bearer ${server.key}` },
    });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 30_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await bind?.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows the chosen provider's fields, checks the connection, saves", async () => {
    const b = bind as Bind;
    await page.goto(`${server?.url}/`);
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "DNS" }).waitFor();
    expect(await page.getByText("A 192.0.2.44").isVisible()).toBe(true);
    expect(await page.locator("#rfc2136-server").isVisible()).toBe(false);

    await page.getByLabel("RFC 2136 (BIND, Knot, PowerDNS)").check();
    expect(await page.locator("#rfc2136-server").isVisible()).toBe(true);
    expect(await page.locator("#cloudflare-token").isVisible()).toBe(false);
    await page.fill("#rfc2136-server", b.server);
    await page.fill("#rfc2136-key-name", b.keyName);
    await page.fill("#rfc2136-key-secret", Buffer.alloc(32, 9).toString("base64"));
    await page.getByRole("button", { name: "Check connection" }).click();
    await page.getByText("Check failed.").waitFor();
    expect(await page.locator("#dns-check").textContent()).toContain("wrong TSIG key?");

    // only the result was swapped: what was typed is still there
    expect(await page.inputValue("#rfc2136-server")).toBe(b.server);
    await page.fill("#rfc2136-key-secret", b.secret);
    await page.getByRole("button", { name: "Check connection" }).click();
    await page.getByText("Connection works.").waitFor();

    await page.getByRole("button", { name: "Save DNS settings" }).click();
    await page.getByText("DNS settings saved.").waitFor();
    expect(await page.getByText("•••• set").isVisible()).toBe(true);
    expect(await page.inputValue("#rfc2136-key-secret")).toBe("");
    expect(await page.content()).not.toContain(b.secret);

    const saved = (await (await server?.api("/settings/dns"))?.json()) as Record<string, unknown>;
    expect(saved).toMatchObject({ provider: "rfc2136", rfc2136: { keySecretSet: true } });
  });
});
