import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, makeZip, site, type TestApp, waitForDeployment } from "../helpers/app.ts";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", {
    name: "site",
    environments: ["staging", "production"],
  });
});
afterEach(() => t.close());

describe("promote a deployment to another environment", () => {
  it("deploys the same bundle there; refuses an unknown or the same environment", async () => {
    const res = await t.request("/api/v1/services/site/environments/staging/deployments", {
      method: "POST",
      headers: { "content-type": "application/zip" },
      body: new Uint8Array(makeZip({ "index.html": "tested" })),
    });
    const staged = await waitForDeployment(t, ((await res.json()) as { id: string }).id);
    expect(staged.status).toBe("live");
    const promoted = await t.json(`/api/v1/deployments/${staged.id}/promote`, "POST", {
      environment: "production",
    });
    expect(promoted.status).toBe(202);
    const d = await waitForDeployment(t, ((await promoted.json()) as { id: string }).id);
    expect(d.status).toBe("live");
    expect((await site(t, "production--site.localhost")).body).toBe("tested");
    for (const environment of ["nowhere", "staging"]) {
      const bad = await t.json(`/api/v1/deployments/${staged.id}/promote`, "POST", { environment });
      expect(bad.status).toBe(422);
    }
    // the deployment page offers it, with rollback, redeploy and the preview URL to copy
    const page = await (await t.request(`/deployments/${staged.id}`)).text();
    expect(page).toContain(`action="/deployments/${staged.id}/promote"`);
    expect(page).toContain("Copy preview URL");
    expect(page).toContain(">Redeploy<");
  });
});
