import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTx } from "../../src/db/client.ts";
import { createTestApp, makeZip, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", {
    name: "site",
    environments: ["production", "staging", "qa"],
  });
});
afterAll(() => t.close());

describe("bundle collection", () => {
  it("keeps a bundle that only a build artifact refers to, so the artifact stays deployable", async () => {
    const zip = makeZip({ "index.html": "from an artifact" });
    const sha256 = createHash("sha256").update(zip).digest("hex");
    const file = path.join(t.dir, "bundles", `${sha256}.zip`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, zip);
    // older than the grace period that protects an upload still being written
    const old = new Date(Date.now() - 60 * 60 * 1000);
    fs.utimesSync(file, old, old);
    const serviceId = t.deps.repos.services.byName("site")?.id ?? 0;
    writeTx(t.deps.db, (tx) =>
      t.deps.repos.builds.insertArtifact(tx, {
        id: "site-20260101T000000Z",
        serviceId,
        buildId: null,
        commitSha: "a".repeat(40),
        bundleSha256: sha256,
        bundleBytes: zip.length,
        fileCount: 1,
        good: true,
        createdAt: Date.now(),
      }),
    );
    // deleting an environment collects unreferenced bundles
    expect(
      (await t.request("/api/v1/services/site/environments/qa", { method: "DELETE" })).status,
    ).toBe(204);
    expect(fs.existsSync(file)).toBe(true);
    const res = await t.json("/api/v1/artifacts/site-20260101T000000Z/deploy", "POST", {
      environment: "staging",
    });
    expect(res.status).toBe(202);
  });
});

describe("deleting a service while its bundle uploads", () => {
  it("answers 404, not 500, and leaves no row and no bundle behind", async () => {
    await t.json("/api/v1/services", "POST", { name: "doomed" });
    const zip = makeZip({ "index.html": `only here ${Date.now()}` });
    const sha256 = createHash("sha256").update(zip).digest("hex");
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (step === 0) controller.enqueue(zip.subarray(0, 10));
        else if (step === 1) {
          await held;
          controller.enqueue(zip.subarray(10));
        } else controller.close();
        step++;
      },
    });
    const upload = t.request("/api/v1/services/doomed/environments/production/deployments", {
      method: "POST",
      headers: { "content-type": "application/zip" },
      body,
      duplex: "half",
    } as RequestInit);
    while (step < 1) await new Promise((r) => setTimeout(r, 10));
    expect((await t.request("/api/v1/services/doomed", { method: "DELETE" })).status).toBe(204);
    release();
    const res = await upload;
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "environment_not_found",
    );
    expect(fs.existsSync(path.join(t.dir, "bundles", `${sha256}.zip`))).toBe(false);
    expect(t.deps.repos.services.byName("doomed")).toBeUndefined();
  });
});
