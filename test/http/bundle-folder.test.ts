import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, makeZip, site, type TestApp, waitForDeployment } from "../helpers/app.ts";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", { name: "site" });
});
afterEach(() => t.close());

const folderZip = () => makeZip({ "dist/index.html": "in a folder", "dist/a.css": "x" });

async function upload(zip: Buffer, query = "") {
  const res = await t.request(`/api/v1/services/site/environments/production/deployments${query}`, {
    method: "POST",
    headers: { "content-type": "application/zip" },
    body: new Uint8Array(zip),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  return waitForDeployment(t, id);
}

describe("a zip of a folder instead of its contents", () => {
  it("fails before it goes live and says which folder, in the log and the page", async () => {
    const good = await upload(makeZip({ "index.html": "root" }));
    const d = await upload(folderZip());
    expect(d.status).toBe("failed");
    expect(d.failure).toMatchObject({ stage: "extract", code: "bundle_in_folder" });
    const log = (await (await t.request(`/api/v1/deployments/${d.id}/log`)).json()) as {
      lines: { message: string }[];
    };
    expect(log.lines.at(-1)?.message).toContain("one folder, dist/");
    // the last good release stays live
    expect((await site(t, "production--site.localhost")).body).toBe("root");
    const page = await (await t.request("/services/site/environments/production")).text();
    expect(page).toContain("Deploy again with the folder as the root");
    expect(good.status).toBe("live");
  });

  it("stripFolder serves the folder as the root (upload and redeploy)", async () => {
    const d = await upload(folderZip(), "?stripFolder=true");
    expect(d.status).toBe("live");
    expect(d.stripFolder).toBe(true);
    expect((await site(t, "production--site.localhost")).body).toBe("in a folder");
    const failed = await upload(folderZip());
    const res = await t.json(`/api/v1/deployments/${failed.id}/redeploy`, "POST", {
      stripFolder: true,
    });
    expect(res.status).toBe(202);
    const again = await waitForDeployment(t, ((await res.json()) as { id: string }).id);
    expect(again.status).toBe("live");
    // a bundle with index.html at its root is not touched by the option's absence
    const flat = await upload(makeZip({ "index.html": "flat", "dist/x.txt": "x" }));
    expect(flat.status).toBe("live");
  });
});
