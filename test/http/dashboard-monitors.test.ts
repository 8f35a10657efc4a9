import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  makeZip,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "site" });
  const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "hi" }));
  await waitForDeployment(t, ((await res.json()) as { id: string }).id);
});
afterAll(() => t.close());

describe("the board's monitor column", () => {
  it("shows a live environment's automatic monitor, linked, with its state", async () => {
    const list = (await (await t.request("/api/v1/monitors")).json()) as {
      items: { id: number; environment: string | null; status: string }[];
    };
    const monitor = list.items.find((m) => m.environment === "production");
    expect(monitor).toBeDefined();
    const html = await (await t.request("/")).text();
    const at = html.indexOf('id="board-site-production"');
    expect(at).toBeGreaterThan(-1);
    const row = html.slice(at, html.indexOf("</tr>", at));
    expect(row).toContain(`href="/monitors/${monitor?.id}"`);
    expect(row).toContain(monitor?.status);
  });
});
