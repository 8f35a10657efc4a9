import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createReports, type ReportsCore } from "../../src/services/reports/core.ts";
import { listGroups, matchRelease } from "../../src/services/reports/groups.ts";
import { ingestPlain } from "../../src/services/reports/ingest.ts";
import { defaultReportSettings } from "../../src/services/reports/settings.ts";
import { createTestApp, makeZip, type TestApp, waitForDeployment } from "../helpers/app.ts";

let t: TestApp;
let r: ReportsCore;
let now = Date.parse("2026-11-01T12:00:00Z");
const DAY = 86_400_000;

beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "app" });
  r = createReports(
    t.deps,
    { ...defaultReportSettings, retentionDays: 7, eventsPerGroup: 3 },
    () => now,
  );
});
afterEach(() => t.close());

const serviceId = () => t.deps.repos.services.byName("app")?.id as number;

describe("keeping events", () => {
  it("keeps the newest events of a group up to its cap, and none past retention; counts stay", () => {
    for (let i = 0; i < 5; i++) ingestPlain(r, serviceId(), { message: "Error: boom" });
    const boomId = () => listGroups(r, "app", { q: "boom" })[0]?.id as number;
    expect(r.groups.prune(now - 7 * DAY, 3)).toBe(2); // over the cap of 3
    expect(r.groups.events(boomId())).toHaveLength(3);
    now += 10 * DAY;
    ingestPlain(r, serviceId(), { message: "Error: other" });
    expect(r.groups.prune(now - 7 * DAY, 3)).toBe(3); // past the 7 days
    const groups = listGroups(r, "app", {});
    const boom = groups.find((g) => g.title === "Error: boom");
    expect(boom?.count).toBe(5);
    expect(r.groups.events(boom?.id as number)).toHaveLength(0);
    const other = groups.find((g) => g.title === "Error: other");
    expect(r.groups.events(other?.id as number)).toHaveLength(1);
  });
});

describe("matching a release to a deployment", () => {
  it("finds the oldest deployment of a commit, or the deployment an id names", async () => {
    const ids: string[] = [];
    for (const msg of ["one", "two"]) {
      const form = new FormData();
      form.set("bundle", new Blob([new Uint8Array(makeZip({ "index.html": msg }))]), "b.zip");
      form.set("commit", "4f2a9c1d5e");
      const res = await t.request("/api/v1/services/app/environments/production/deployments", {
        method: "POST",
        body: form,
      });
      ids.push(((await res.json()) as { id: string }).id);
      await waitForDeployment(t, ids.at(-1) as string);
    }
    expect(matchRelease(r, serviceId(), "app@4f2a9c1")?.deployment.id).toBe(ids[0]);
    expect(matchRelease(r, serviceId(), `${ids[1]}@4f2a9c1`)?.deployment.id).toBe(ids[1]);
    expect(matchRelease(r, serviceId(), "app@1.2.3")).toBeNull();
  });
});
