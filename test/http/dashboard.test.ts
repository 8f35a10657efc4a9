import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import {
  createTestApp,
  makeZip,
  site,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;

const home = async (query = "", key?: string) => {
  const res = await t.anon(`/${query}`, {
    headers: { authorization: `Bearer ${key ?? t.key}` },
  });
  expect(res.status).toBe(200);
  return res.text();
};

beforeAll(async () => {
  t = createTestApp();
  for (const name of ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"])
    await t.json("/api/v1/services", "POST", { name, environments: ["production", "staging"] });
  const res = await uploadZip(
    t,
    "alpha",
    "production",
    makeZip({ "index.html": "<h1>a</h1>" }),
    "Launch day",
  );
  await waitForDeployment(t, ((await res.json()) as { id: string }).id);
  await t.json("/api/v1/services/alpha/reports", "POST", {
    message: "TypeError: cart is null",
    environment: "production",
  });
});
afterAll(() => t.close());

describe("the home page board", () => {
  it("shows every service × environment with what is live, by whom, and open errors", async () => {
    const html = await home();
    for (const name of ["alpha", "beta", "zeta"])
      expect(html).toContain(`id="board-${name}-staging"`);
    const row = html.slice(html.indexOf('id="board-alpha-production"'));
    const alpha = row.slice(0, row.indexOf("</tr>"));
    expect(alpha).toContain("badge-live");
    expect(alpha).toContain("Launch day");
    // the uploader comes from the audit trail: here the test's API key
    const label = t.deps.repos.audit
      .list({ limit: 5 })
      .find((e) => e.action === "deployment.create")?.actor;
    expect(label).toBeTruthy();
    expect(alpha).toContain(`· ${label}`);
    expect(alpha).toContain("1 open · 1 new");
    const staging = html.slice(html.indexOf('id="board-alpha-staging"'));
    expect(staging.slice(0, staging.indexOf("</tr>"))).toContain("Nothing live yet");
  });

  it("searches by service or environment name and pages beyond the page size", async () => {
    const found = await home("?q=ps");
    expect(found).toContain('id="board-epsilon-production"');
    expect(found).not.toContain('id="board-alpha-production"');
    const first = await home("?per=5");
    expect(first).toContain("page 1 of 2");
    expect(first).not.toContain('id="board-zeta-production"');
    const second = await home("?per=5&page=2");
    expect(second).toContain('id="board-zeta-production"');
    expect(second).not.toContain('id="board-alpha-production"');
  });

  it("shows only the services a limited key may see, and its stream refuses strangers", async () => {
    const owner = t.deps.repos.users.byEmail("owner@example.com");
    if (!owner) throw new Error("no owner");
    const limited = createApiKey(t.deps, owner, { name: "b", scope: "read", service: "beta" }).key;
    const html = await home("", limited);
    expect(html).toContain('id="board-beta-production"');
    expect(html).not.toContain('id="board-alpha-production"');
    for (const p of ["/ui/dashboard/stream", "/ui/dashboard/usage", "/"]) {
      const anon = await t.anon(p, { headers: { accept: "text/event-stream" } });
      expect([302, 401]).toContain(anon.status);
    }
  });

  it("counts requests and bytes an environment serves, per hour", async () => {
    for (let i = 0; i < 3; i++)
      expect((await site(t, "production--alpha.localhost")).status).toBe(200);
    const res = await t.request("/ui/dashboard/usage?q=alpha");
    expect(res.status).toBe(200);
    const html = await res.text();
    const row = html.slice(html.indexOf('id="usage-alpha-production"'));
    expect(row.slice(0, row.indexOf("</tr>"))).toMatch(/class="num usage-requests">3</);
  });
});
