import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeKube, startFakeKube } from "../fakes/kubernetes/index.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";

/** Containers in a real browser: connect the cluster, set the container, deploy, scale. */
describe.skipIf(!hasChromium)("containers in Chromium", () => {
  let dir = "";
  let fake: FakeKube | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-e2e-k8s-"));
    fake = await startFakeKube({ token: "browser-token" });
    server = await startServer(path.join(dir, "data"));
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
    await fake?.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("connects a cluster, deploys a container and scales it", async () => {
    const s = server as RunningServer;
    await page.goto(`${s.url}/settings/kubernetes`);
    await page.fill("#k-config", (fake as FakeKube).kubeconfig());
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("A kubeconfig is saved").waitFor();
    await page.getByRole("button", { name: "Check the connection" }).click();
    await page.getByText("The credentials may do everything Berth needs.").waitFor();
    expect(await page.content()).not.toContain("browser-token");

    const created = await s.api("/services", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "shop", kind: "container" }),
    });
    expect(created.status).toBe(201);
    await page.goto(`${s.url}/services/shop/environments/production`);
    expect(page.url()).toMatch(/\/services\/shop\/environments\/production\/container$/);
    await page.fill("#c-image", "example.com/shop:1");
    await page.fill("#c-port", "8080");
    await page.fill("#c-secret", "API_KEY=sk-browser-secret");
    await page.getByRole("button", { name: "Save container" }).click();
    await page.getByText("Saved. Deploy to apply it.").waitFor();

    await page.reload();
    await page.getByRole("button", { name: "Deploy" }).click();
    await page.waitForURL(/\/deployments\/[0-9a-z]+$/);
    await page.getByText(/successfully rolled out/).waitFor({ timeout: 20_000 });
    expect(await page.content()).not.toContain("sk-browser-secret");

    await page.goto(`${s.url}/services/shop/environments/production/container`);
    await page.locator("#pods table").waitFor();
    await page.fill("#s-replicas", "3");
    await page.getByRole("button", { name: "Scale" }).click();
    await page.getByText("Scaled.").waitFor();
    expect(fake?.cluster.store.get("deployments", "berth", "shop-production").spec.replicas).toBe(
      3,
    );
  });
});
