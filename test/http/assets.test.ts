import zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assetVersion } from "../../src/http/assets.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(() => t.close());

describe("static assets and the API reference", () => {
  it("sends assets compressed (brotli, else gzip) with a year's cache on versioned URLs", async () => {
    const v = assetVersion();
    const br = await t.anon(`/assets/swagger-ui-bundle.js?v=${v}`, {
      headers: { "accept-encoding": "gzip, deflate, br" },
    });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const bytes = Buffer.from(await br.arrayBuffer());
    expect(bytes.length).toBeLessThan(600_000);
    expect(zlib.brotliDecompressSync(bytes).toString().length).toBeGreaterThan(1_000_000);
    const gz = await t.anon("/assets/app.css", { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("cache-control")).toBe("public, max-age=300");
    expect(zlib.gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toContain(":root");
    const plain = await t.anon("/assets/app.css");
    expect(plain.headers.get("content-encoding")).toBeNull();
    // the pages link the versioned URLs
    const login = await (await t.anon("/login")).text();
    expect(login).toContain(`/assets/app.css?v=${v}`);
  });

  it("declares the bearer scheme and a rollback example that works", async () => {
    const doc = (await (await t.request("/api/openapi.json")).json()) as {
      security: unknown;
      components: {
        securitySchemes: Record<string, { type: string; scheme: string }>;
        schemas: Record<string, { example?: unknown }>;
      };
    };
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas.Rollback?.example).toEqual({});
  });
});
