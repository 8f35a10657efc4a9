import { afterEach, beforeEach, describe, expect, it } from "vitest";
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

describe("small inconsistencies a new user saw", () => {
  it("the empty state's site address keeps the port", async () => {
    const page = await (await t.request("/")).text();
    expect(page).toContain("production--&lt;service&gt;.localhost:8080");
  });

  it("activity shows 8-character ids, history says 'release' for one, newest is labelled", async () => {
    await t.json("/api/v1/services", "POST", { name: "site" });
    await t.request("/services/site/environments/production/settings", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "same-origin",
      },
      body: "retention=1",
    });
    const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "x" }));
    const { id } = (await res.json()) as { id: string };
    await waitForDeployment(t, id);
    await uploadZip(t, "site", "production", makeZip({ "dist/index.html": "x" })).then(async (r) =>
      waitForDeployment(t, ((await r.json()) as { id: string }).id),
    );
    const env = await (await t.request("/services/site/environments/production")).text();
    // the text a reader sees (links may carry the full id)
    const activity = env.slice(env.indexOf('id="activity"')).replace(/<[^>]+>/g, "");
    expect(activity).not.toContain(id);
    expect(activity).toContain(id.slice(-8));
    expect(env).toContain("only the newest release stays on disk");
    const dash = await (await t.request("/")).text();
    expect(dash).toMatch(/newest \w{8}<\/span>/);
  });
});
