import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { flakyHttp } from "../helpers/flaky-servers.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-monitor-ui-"));
let server: RunningServer | undefined;
let target: Awaited<ReturnType<typeof flakyHttp>> | undefined;
afterAll(async () => {
  await server?.stop();
  await target?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!hasChromium)("the monitors page in a browser", () => {
  it("shows a monitor going down, with its uptime bars and sparkline", async () => {
    target = await flakyHttp();
    server = await startServer(dir);
    const s = server;
    const res = await s.api("/monitors", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "api",
        kind: "http",
        url: target.url,
        interval: 1,
        fastInterval: 1,
        failuresBeforeDown: 1,
        timeoutMs: 500,
      }),
    });
    const { id } = (await res.json()) as { id: number };
    const status = async () =>
      ((await (await s.api(`/monitors/${id}`)).json()) as { status: string }).status;
    await until("up", async () => (await status()) === "up");
    await new Promise((r) => setTimeout(r, 2500)); // a few checks for the sparkline
    target.down();
    await until("down", async () => (await status()) === "down");

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({
        extraHTTPHeaders: { authorization: `Bearer ${s.key}` },
      });
      await page.goto(`${s.url}/monitors`);
      const row = page.locator("table.monitors tbody tr").first();
      expect(await row.locator(".badge").textContent()).toBe("down");
      expect(await row.locator("svg.uptime-bars path").count()).toBeGreaterThan(0);
      expect(await row.locator("svg.sparkline polyline").count()).toBe(1);
      await page.goto(`${s.url}/monitors/${id}`);
      expect(await page.locator("h2").first().textContent()).toContain("api");
      expect(await page.locator("table.checks tbody tr").count()).toBeGreaterThan(1);
      if (process.env.BERTH_SCREENSHOTS)
        await page.screenshot({
          path: path.join(process.env.BERTH_SCREENSHOTS, "monitor.png"),
          fullPage: true,
        });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
