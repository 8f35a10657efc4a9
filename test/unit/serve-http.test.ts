/**
 * serveRelease mounted in a Hono app on a real @hono/node-server, talking raw
 * HTTP/1.1 so the wire format (HEAD lengths, ranges, crafted paths) is checked.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveRelease } from "../../src/http/sites/serve-release.ts";

const INDEX = "<h1>home</h1>";
const SECRET = "top secret";
const BIG = randomBytes(300 * 1024);

let tmp: string;
let port: number;
let close: () => Promise<void>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "berth-serve-http-"));
  const release = join(tmp, "releases", "r1");
  await mkdir(join(release, "docs"), { recursive: true });
  await writeFile(join(release, "index.html"), INDEX);
  await writeFile(join(release, "docs", "index.html"), "docs");
  await writeFile(join(release, "big.bin"), BIG);
  await writeFile(join(tmp, "secret.txt"), SECRET);
  await writeFile(join(tmp, "releases", "secret.txt"), SECRET);
  await symlink(release, join(tmp, "current"));

  const app = new Hono();
  app.all("*", (c) => serveRelease(join(tmp, "current"), c.req.raw, { spaFallback: true }));
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  port = (server.address() as AddressInfo).port;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await close();
  await rm(tmp, { recursive: true, force: true });
});

type RawResponse = { status: number; headers: Record<string, string>; body: Buffer };

/** Send one request exactly as written and parse the reply (Connection: close). */
function raw(method: string, target: string, headers: Record<string, string> = {}) {
  return new Promise<RawResponse>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = all.subarray(0, split).toString("latin1").split("\r\n");
      const parsed: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        parsed[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(" ")[1]),
        headers: parsed,
        body: all.subarray(split + 4),
      });
    });
    const extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n${extra}\r\n`,
    );
  });
}

describe("serveRelease over HTTP", () => {
  it("serves the index with its headers", async () => {
    const res = await raw("GET", "/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["content-length"]).toBe(String(INDEX.length));
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.body.toString()).toBe(INDEX);
  });

  it("HEAD sends Content-Length and no body", async () => {
    const res = await raw("HEAD", "/big.bin");
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String(BIG.length));
    expect(res.headers["transfer-encoding"]).toBeUndefined();
    expect(res.body.length).toBe(0);
  });

  it("streams a large file with Content-Length", async () => {
    const res = await raw("GET", "/big.bin");
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String(BIG.length));
    expect(res.body.equals(BIG)).toBe(true);
  });

  it("serves ranges of a large file", async () => {
    const res = await raw("GET", "/big.bin", { range: "bytes=1000-70999" });
    expect(res.status).toBe(206);
    expect(res.headers["content-range"]).toBe(`bytes 1000-70999/${BIG.length}`);
    expect(res.headers["content-length"]).toBe("70000");
    expect(res.body.equals(BIG.subarray(1000, 71000))).toBe(true);
  });

  it("redirects directories", async () => {
    const res = await raw("GET", "/docs?a=b");
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("/docs/?a=b");
  });

  it.each([
    "/../secret.txt",
    "/../../secret.txt",
    "/docs/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2e%2e/secret.txt",
    "/.%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/docs/..%2F..%2Fsecret.txt",
  ])("GET %s never leaks a file outside the release", async (target) => {
    const res = await raw("GET", target, { accept: "application/json" });
    expect([400, 404]).toContain(res.status);
    expect(res.body.toString()).not.toContain(SECRET);
  });

  it("405 for other methods", async () => {
    const res = await raw("DELETE", "/");
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
  });
});
