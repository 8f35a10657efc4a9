import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createTestApp,
  makeZip,
  site,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
let liveId: string;
beforeEach(async () => {
  t = createTestApp({ limits: { maxBundleBytes: 64 * 1024 } });
  await t.json("/api/v1/services", "POST", { name: "site" });
  const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "live" }));
  liveId = ((await res.json()) as { id: string }).id;
  await waitForDeployment(t, liveId);
});
afterEach(() => t.close());

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error;

async function expectUntouched() {
  expect((await site(t, "production--site.localhost")).body).toBe("live");
  const list = (await (
    await t.request("/api/v1/services/site/environments/production/deployments")
  ).json()) as {
    items: { id: string }[];
  };
  expect(list.items.map((d) => d.id)).toEqual([liveId]);
  expect(fs.readdirSync(path.join(t.dir, "sites/site/production/releases"))).toEqual([liveId]);
  expect(fs.readdirSync(path.join(t.dir, "tmp/uploads"))).toEqual([]);
  expect(fs.readdirSync(path.join(t.dir, "bundles"))).toHaveLength(1);
}

describe("upload size limit", () => {
  it("refuses a declared Content-Length over the limit with 413 before reading the body", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(16 * 1024));
        if (pulled > 100) controller.close();
      },
    });
    const res = await t.request("/api/v1/services/site/environments/production/deployments", {
      method: "POST",
      headers: { "content-type": "application/zip", "content-length": String(10 * 1024 * 1024) },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("bundle_too_large");
    expect(pulled).toBeLessThanOrEqual(2);
    await expectUntouched();
  });

  it("stops reading an undeclared (chunked) body as soon as it passes the limit", async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024).fill(7));
        if (sent >= 50 * 1024 * 1024) controller.close();
      },
    });
    const res = await t.request("/api/v1/services/site/environments/production/deployments", {
      method: "POST",
      headers: { "content-type": "application/zip" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(1024 * 1024);
    await expectUntouched();
  });

  it("refuses an oversized multipart file with 413", async () => {
    const big = makeZip({ "index.html": "x", "big.bin": randomBytes(100_000) });
    const res = await uploadZip(t, "site", "production", big);
    expect(res.status).toBe(413);
    await expectUntouched();
  });
});

describe("upload shape", () => {
  it("refuses a multipart form without the bundle field", async () => {
    const form = new FormData();
    form.set("message", "no file");
    const res = await t.request("/api/v1/services/site/environments/production/deployments", {
      method: "POST",
      body: form,
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("bundle_missing");
    await expectUntouched();
  });

  it("refuses an unsupported content type", async () => {
    const res = await t.request("/api/v1/services/site/environments/production/deployments", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hello",
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("unsupported_media_type");
    await expectUntouched();
  });

  it("404s an unknown service or environment without storing anything", async () => {
    const a = await uploadZip(t, "ghost", "production", makeZip({ "index.html": "x" }));
    expect(a.status).toBe(404);
    expect((await errorOf(a)).code).toBe("service_not_found");
    const b = await uploadZip(t, "site", "nope", makeZip({ "index.html": "x" }));
    expect(b.status).toBe(404);
    expect((await errorOf(b)).code).toBe("environment_not_found");
    await expectUntouched();
  });
});
