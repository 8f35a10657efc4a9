import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import AdmZip from "adm-zip";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { type RunningServer, seedOwner, startServer } from "../helpers/server.ts";

const EMAIL = "owner@example.com";
const PASSWORD = "e2e passphrase for berth";
const entry = path.resolve(import.meta.dirname, "../fixtures/sentry-browser-entry.js");

describe.skipIf(!hasChromium)("error reports and the dashboard in Chromium", () => {
  let dir = "";
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let ui = "";
  let dsn = "";
  let appJs = "";

  const api = (p: string, init?: RequestInit) => (server as RunningServer).api(p, init);

  /** Uploads a site bundle through the API and waits until it is live. */
  async function deploy(files: Record<string, string>, message: string): Promise<string> {
    const zip = new AdmZip();
    for (const [name, text] of Object.entries(files)) zip.addFile(name, Buffer.from(text));
    const form = new FormData();
    form.set("bundle", new Blob([new Uint8Array(zip.toBuffer())]), "site.zip");
    form.set("message", message);
    const res = await api("/services/web/environments/production/deployments", {
      method: "POST",
      body: form,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const deadline = Date.now() + 15_000;
    for (;;) {
      const d = (await (await api(`/deployments/${id}`)).json()) as { status: string };
      if (d.status === "live") return id;
      if (Date.now() > deadline) throw new Error(`deployment ${id} is ${d.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const page_ = (release: string) =>
    `<!doctype html><title>app</title><h1>Shop</h1><script>window.BERTH_DSN=${JSON.stringify(dsn)};window.BERTH_RELEASE=${JSON.stringify(release)};</script><script src="/app.js"></script>`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-e2e-reports-"));
    const dataDir = path.join(dir, "data");
    fs.mkdirSync(dataDir);
    await seedOwner(dataDir, EMAIL, PASSWORD);
    server = await startServer(dataDir);
    ui = `http://localhost:${server.port}`;
    const created = await api("/services", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "web", environments: ["production"] }),
    });
    expect(created.status).toBe(201);
    dsn = ((await (await api("/services/web/reporting")).json()) as { dsn: string }).dsn;
    const bundled = await build({
      entryPoints: [entry],
      bundle: true,
      format: "iife",
      write: false,
      platform: "browser",
      logLevel: "silent",
    });
    appJs = bundled.outputFiles[0]?.text ?? "";
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the browser SDK on a page Berth serves reports to the service's DSN", async () => {
    const first = await deploy({ "index.html": page_("v1"), "app.js": appJs }, "first release");
    await page.goto(`http://production--web.localhost:${server?.port}/`);
    // the page sets its title once the SDK has flushed (runs in the browser, given as text)
    await page.waitForFunction('document.title !== "app"');
    expect(await page.title()).toBe("sent");
    const { groups } = (await (await api("/services/web/errors")).json()) as {
      groups: { id: number; title: string; count: number }[];
    };
    expect(groups.map((g) => g.title)).toEqual(["Error: Checkout button broke"]);
    const detail = (await (await api(`/errors/${groups[0]?.id}`)).json()) as {
      events: {
        event: { exceptions: { frames: { function: string; filename: string }[] }[]; sdk: string };
      }[];
    };
    const frames = detail.events[0]?.event.exceptions[0]?.frames ?? [];
    expect(frames.map((f) => f.function)).toContain("onCheckout");
    expect(frames.some((f) => f.filename.endsWith("/app.js"))).toBe(true);
    expect(detail.events[0]?.event.sdk).toMatch(/^sentry\.javascript\.browser\//);
    expect(first).toBeTruthy();
  }, 60_000);

  it("the dashboard changes live when a deploy finishes and an error arrives", async () => {
    await page.goto(`${ui}/login`);
    await page.fill("#email", EMAIL);
    await page.fill("#password", PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${ui}/`);
    const row = page.locator("#board-web-production");
    await row.locator(".panel-errors", { hasText: "1 open · 1 new" }).waitFor();
    await row.locator(".board-live", { hasText: "first release" }).waitFor();
    // a mark on the window: gone if the page reloads
    await page.evaluate("window.mark = 1");

    const second = await deploy({ "index.html": page_("v2"), "app.js": appJs }, "second release");
    await row.locator(".board-live", { hasText: "second release" }).waitFor();

    const u = new URL(dsn);
    const res = await fetch(
      `http://127.0.0.1:${u.port}/api${u.pathname}/store/?sentry_key=${u.username}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          environment: "production",
          release: `${second}@abc1234`,
          exception: {
            values: [
              {
                type: "TypeError",
                value: "price is undefined",
                stacktrace: {
                  frames: [
                    { filename: "/node_modules/lib/x.js", function: "lib", in_app: false },
                    { filename: "/app.js", function: "renderPrice", lineno: 7, in_app: true },
                  ],
                },
              },
            ],
          },
        }),
      },
    );
    expect(res.status).toBe(200);
    await row.locator(".panel-errors", { hasText: "2 open · 2 new" }).waitFor();
    expect(await page.evaluate("window.mark")).toBe(1);

    // the error page: stack trace with the app's frame highlighted, then the rollback
    await row.locator(".panel-errors a").click();
    await page.getByRole("link", { name: "TypeError: price is undefined" }).click();
    await page.locator(".frame.in-app", { hasText: "renderPrice" }).waitFor();
    expect(await page.locator(".frame:not(.in-app)", { hasText: "lib" }).count()).toBe(1);
    await page.locator(".first-seen", { hasText: second.slice(-8) }).waitFor();
    await page.getByRole("button", { name: /Roll production back to/ }).click();
    await page.waitForURL(/\/services\/web\/environments\/production/);
    const env = (await (await api("/services/web/environments/production")).json()) as {
      live: { message: string } | null;
    };
    expect(env.live?.message).toBe("first release");
  }, 60_000);
});
