import fs from "node:fs";
import { request } from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeZip } from "../helpers/app.ts";
import { fetchSite, type RunningServer, startServer } from "../helpers/server.ts";

/**
 * Through a real server, uploads are read from Node's request stream directly (not
 * through a web stream): a chunked body over the limit is still answered 413 and leaves
 * nothing behind, and a good one deploys.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-upload-"));
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(dir, { BERTH_MAX_BUNDLE_BYTES: String(256 * 1024) });
  await server.api("/services", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "site" }),
  });
});
afterAll(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** POSTs `body` in 64 KiB chunks without a Content-Length. */
function sendChunked(body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: server.port,
        method: "POST",
        path: "/api/v1/services/site/environments/production/deployments",
        headers: { authorization: `Bearer ${server.key}`, "content-type": "application/zip" },
        agent: false, // a fresh connection each: the one before may have been refused part-way
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    let at = 0;
    const next = () => {
      if (at >= body.length) return req.end();
      req.write(body.subarray(at, at + 65536));
      at += 65536;
      setImmediate(next);
    };
    next();
  });
}

describe("uploads read from the request stream", () => {
  it("refuses a chunked body over the limit with 413 and keeps nothing", async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    big.write("PK\u0003\u0004", 0, "latin1");
    const res = await sendChunked(big);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).error.code).toBe("bundle_too_large");
    expect(fs.readdirSync(path.join(dir, "tmp/uploads"))).toEqual([]);
    expect(fs.existsSync(path.join(dir, "bundles"))).toBe(false);
  });

  it("deploys a chunked bundle", async () => {
    const res = await sendChunked(makeZip({ "index.html": "streamed" }));
    expect(res.status).toBe(202);
    const { id } = JSON.parse(res.text) as { id: string };
    for (let i = 0; ; i++) {
      const d = (await (await server.api(`/deployments/${id}`)).json()) as { status: string };
      if (d.status === "live") break;
      if (i > 400) throw new Error(`deployment still ${d.status}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await fetchSite(server, "production--site.localhost")).body).toBe("streamed");
  });
});
