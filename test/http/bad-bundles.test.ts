import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  makeZip,
  site,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";
import { tarGz } from "../helpers/tar-bytes.ts";
import { unixAttributes, zipBytes } from "../helpers/zip-bytes.ts";

/**
 * Every kind of hostile or broken bundle, through the API: a 422 with its own code, the
 * live release untouched, and nothing written anywhere (not even the stored bundle).
 */
let t: TestApp;
let liveId: string;
beforeAll(async () => {
  t = createTestApp({
    limits: { maxEntries: 50, maxUncompressedBytes: 2 * 1024 * 1024, maxCompressionRatio: 20 },
  });
  await t.json("/api/v1/services", "POST", { name: "site" });
  const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "live" }));
  liveId = ((await res.json()) as { id: string }).id;
  await waitForDeployment(t, liveId);
});
afterAll(() => t.close());

function snapshot() {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? [p, ...walk(p)] : [p];
    });
  return walk(t.dir)
    .filter((p) => !p.includes("berth.db"))
    .sort();
}

const send = (body: Buffer, type = "application/zip") =>
  t.request("/api/v1/services/site/environments/production/deployments", {
    method: "POST",
    headers: { "content-type": type },
    body: new Uint8Array(body),
  });

const big = (n: number) => "x".repeat(n);
const good = makeZip({ "index.html": "ok" });

const cases: [string, () => Promise<Buffer> | Buffer, string, string?][] = [
  ["not an archive", () => Buffer.from("<html>just a page</html>"), "unsupported_archive"],
  ["an empty body", () => Buffer.alloc(0), "empty_upload"],
  ["a truncated zip", () => good.subarray(0, good.length - 30), "corrupt_archive"],
  [
    "a zip with a bad CRC",
    () => zipBytes([{ name: "index.html", data: "hello", crc: 1234 }]),
    "corrupt_archive",
  ],
  ["an empty zip", () => zipBytes([]), "empty_archive"],
  ["a zip with ../", () => zipBytes([{ name: "../evil.html", data: "x" }]), "unsafe_path"],
  [
    "a zip with a nested ..",
    () => zipBytes([{ name: "a/../../evil.html", data: "x" }]),
    "unsafe_path",
  ],
  ["an absolute path", () => zipBytes([{ name: "/etc/evil", data: "x" }]), "unsafe_path"],
  ["a backslash", () => zipBytes([{ name: "a\\..\\evil", data: "x" }]), "unsafe_path"],
  ["a drive letter", () => zipBytes([{ name: "C:/evil", data: "x" }]), "unsafe_path"],
  [
    "a zip symlink",
    () =>
      zipBytes([
        { name: "link", data: "/etc/passwd", externalAttributes: unixAttributes(0o120777) },
      ]),
    "unsupported_entry",
  ],
  [
    "duplicate names",
    () =>
      zipBytes([
        { name: "index.html", data: "a" },
        { name: "index.html", data: "b" },
      ]),
    "duplicate_entry",
  ],
  [
    "too many entries",
    () => zipBytes(Array.from({ length: 51 }, (_, i) => ({ name: `f${i}.txt`, data: "x" }))),
    "too_many_entries",
  ],
  [
    "too many bytes",
    () =>
      makeZip({
        "a.bin": Buffer.from(crypto.getRandomValues(new Uint8Array(65536)))
          .toString("hex")
          .repeat(20),
      }),
    "too_large_uncompressed",
  ],
  [
    "a zip bomb",
    () => makeZip({ "zeros.txt": Buffer.alloc(1024 * 1024) }),
    "compression_ratio_exceeded",
  ],
  [
    "an entry that inflates past its declared size",
    () =>
      zipBytes([
        { name: "liar.txt", data: big(500_000), declaredSize: 10 },
        {
          name: "pad.bin",
          method: 0,
          data: Buffer.from(crypto.getRandomValues(new Uint8Array(60_000))),
        },
      ]),
    "compression_ratio_exceeded",
  ],
  [
    "a tar.gz with ../",
    () => tarGz([{ header: { name: "../evil" }, data: "x" }]),
    "unsafe_path",
    "application/gzip",
  ],
  [
    "a tar.gz symlink",
    () => tarGz([{ header: { name: "link", type: "symlink", linkname: "/etc/passwd" } }]),
    "unsupported_entry",
    "application/gzip",
  ],
  [
    "a tar.gz hard link",
    () =>
      tarGz([
        { header: { name: "a", type: "file" }, data: "x" },
        { header: { name: "b", type: "link", linkname: "a" } },
      ]),
    "unsupported_entry",
    "application/gzip",
  ],
  [
    "a tar.gz device",
    () => tarGz([{ header: { name: "dev", type: "character-device", devmajor: 1, devminor: 3 } }]),
    "unsupported_entry",
    "application/gzip",
  ],
  [
    "a truncated tar.gz",
    async () =>
      (await tarGz([{ header: { name: "index.html" }, data: big(5000) }])).subarray(0, 40),
    "corrupt_archive",
    "application/gzip",
  ],
];

describe("hostile and broken bundles", () => {
  it.each(cases)("refuses %s", async (_label, make, code, type) => {
    const before = snapshot();
    const res = await send(await make(), type);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status, body.error.message).toBe(422);
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    expect(snapshot()).toEqual(before);
    expect((await site(t, "production--site.localhost")).body).toBe("live");
    const list = (await (
      await t.request("/api/v1/services/site/environments/production/deployments")
    ).json()) as {
      items: { id: string }[];
    };
    expect(list.items.map((d) => d.id)).toEqual([liveId]);
    expect(fs.existsSync(path.join(t.dir, "evil.html"))).toBe(false);
  });
});
