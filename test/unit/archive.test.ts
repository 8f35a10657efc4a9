import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import AdmZip from "adm-zip";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectFormat, extractArchive, inspectArchive } from "../../src/adapters/archive/index.ts";
import { caught, expectRefused, LIMITS, Sandbox } from "../helpers/archive-sandbox.ts";
import { tarGz } from "../helpers/tar-bytes.ts";
import { unixAttributes, zipBytes } from "../helpers/zip-bytes.ts";

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = new Sandbox();
});
afterEach(() => sandbox.cleanup());

const mode = (path: string): number => statSync(path).mode & 0o7777;

// A small site: nested directories, UTF-8 names, binary and empty files.
const SITE: Record<string, Buffer> = {
  "index.html": Buffer.from("<!doctype html><h1>hello</h1>"),
  "assets/app.js": Buffer.from("console.log('hi');\n".repeat(500)),
  "assets/img/logo.png": randomBytes(70_000),
  "assets/img/empty.txt": Buffer.alloc(0),
  "docs/ünïcödé/日本語.txt": Buffer.from("utf-8 all the way"),
};
const SITE_BYTES = Object.values(SITE).reduce((sum, data) => sum + data.length, 0);

function expectSite(root: string): void {
  for (const [path, data] of Object.entries(SITE)) {
    expect(readFileSync(join(root, path)).equals(data), path).toBe(true);
    expect(mode(join(root, path)), path).toBe(0o644);
  }
  for (const dir of ["assets", "assets/img", "docs", "docs/ünïcödé"]) {
    expect(mode(join(root, dir)), dir).toBe(0o755);
  }
}

describe("detectFormat", () => {
  it("knows zip and gzip by their magic bytes", () => {
    expect(detectFormat(Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0))).toBe("zip");
    expect(detectFormat(Uint8Array.of(0x50, 0x4b, 0x05, 0x06))).toBe("zip");
    expect(detectFormat(Uint8Array.of(0x1f, 0x8b, 0x08))).toBe("tar.gz");
  });

  it("rejects anything else, including short input", () => {
    expect(detectFormat(Buffer.from("<html>"))).toBeNull();
    expect(detectFormat(Uint8Array.of(0x50, 0x4b, 0x01, 0x02))).toBeNull();
    expect(detectFormat(Uint8Array.of(0x50, 0x4b))).toBeNull();
    expect(detectFormat(new Uint8Array())).toBeNull();
  });
});

describe("zip bundles", () => {
  it("inspects and extracts a site byte for byte", async () => {
    const zip = new AdmZip();
    zip.addFile("assets/", Buffer.alloc(0));
    for (const [path, data] of Object.entries(SITE)) zip.addFile(path, data, "", 0o4777);
    const file = sandbox.write("bundle.zip", zip.toBuffer());

    const expected = { format: "zip", fileCount: 5, totalBytes: SITE_BYTES };
    expect(await inspectArchive(file, "zip", LIMITS)).toEqual(expected);
    expect(sandbox.everything()).toEqual(["bundle.zip"]);
    expect(await extractArchive(file, "zip", sandbox.staging, LIMITS)).toEqual(expected);
    expectSite(sandbox.staging);
  });

  it("extracts stored entries and normalises ./ and repeated slashes", async () => {
    const bytes = zipBytes([
      { name: "./a//b/", externalAttributes: unixAttributes(0o40700) },
      { name: "./a//b/c.txt", data: "stored", method: 0 },
      { name: "top.txt", data: "deflated" },
    ]);
    const file = sandbox.write("bundle.zip", bytes);
    const summary = await extractArchive(file, "zip", sandbox.staging, LIMITS);
    expect(summary).toEqual({ format: "zip", fileCount: 2, totalBytes: 14 });
    expect(readFileSync(join(sandbox.staging, "a/b/c.txt"), "utf8")).toBe("stored");
    expect(mode(join(sandbox.staging, "a/b"))).toBe(0o755);
  });

  it("keeps 0644 and 0755 under a strict umask", async () => {
    const file = sandbox.write("bundle.zip", zipBytes([{ name: "d/f.txt", data: "x" }]));
    const previous = process.umask(0o077);
    try {
      await extractArchive(file, "zip", sandbox.staging, LIMITS);
    } finally {
      process.umask(previous);
    }
    expect(mode(join(sandbox.staging, "d/f.txt"))).toBe(0o644);
    expect(mode(join(sandbox.staging, "d"))).toBe(0o755);
  });

  it("refuses to follow a symlink already in the staging directory", async () => {
    const outside = join(sandbox.root, "outside");
    mkdirSync(outside);
    mkdirSync(sandbox.staging, { recursive: true });
    symlinkSync(outside, join(sandbox.staging, "assets"));
    const file = sandbox.write("bundle.zip", zipBytes([{ name: "assets/app.js", data: "x" }]));

    await caught(extractArchive(file, "zip", sandbox.staging, LIMITS));
    expect(sandbox.everything()).toEqual([
      "bundle.zip",
      "outside",
      "stage",
      "stage/site",
      "stage/site/assets",
    ]);
  });

  it("never overwrites a file already in the staging directory", async () => {
    mkdirSync(sandbox.staging, { recursive: true });
    const file = sandbox.write("bundle.zip", zipBytes([{ name: "a.txt", data: "new" }]));
    await extractArchive(file, "zip", sandbox.staging, LIMITS);
    const error = await caught(extractArchive(file, "zip", sandbox.staging, LIMITS));
    expect(error).toMatchObject({ code: "EEXIST" });
    expect(readFileSync(join(sandbox.staging, "a.txt"), "utf8")).toBe("new");
  });
});

describe("tar.gz bundles", () => {
  it("inspects and extracts a site byte for byte", async () => {
    const bytes = await tarGz([
      { header: { name: "./", type: "directory" } },
      { header: { name: "./assets/", type: "directory", mode: 0o777 } },
      ...Object.entries(SITE).map(([path, data]) => ({
        header: { name: `./${path}`, mode: 0o4777 },
        data,
      })),
    ]);
    const file = sandbox.write("bundle.tar.gz", bytes);

    const expected = { format: "tar.gz", fileCount: 5, totalBytes: SITE_BYTES };
    expect(await inspectArchive(file, "tar.gz", LIMITS)).toEqual(expected);
    expect(sandbox.everything()).toEqual(["bundle.tar.gz"]);
    expect(await extractArchive(file, "tar.gz", sandbox.staging, LIMITS)).toEqual(expected);
    expectSite(sandbox.staging);
  });

  it("handles long names (pax) and bodies too big to buffer", async () => {
    const longPath = `${"d".repeat(120)}/${"e".repeat(120)}/${"f".repeat(120)}.txt`;
    const big = randomBytes(3 * 1024 * 1024);
    const bytes = await tarGz([
      { header: { name: longPath }, data: "deep" },
      { header: { name: "big.bin" }, data: big },
    ]);
    const file = sandbox.write("bundle.tar.gz", bytes);
    const summary = await extractArchive(file, "tar.gz", sandbox.staging, LIMITS);
    expect(summary).toEqual({ format: "tar.gz", fileCount: 2, totalBytes: 4 + big.length });
    expect(readFileSync(join(sandbox.staging, longPath), "utf8")).toBe("deep");
    expect(readFileSync(join(sandbox.staging, "big.bin")).equals(big)).toBe(true);
  });
});

describe("tar.gz into a used staging directory", () => {
  it("stops without overwriting, for buffered and streamed bodies alike", async () => {
    const big = randomBytes(2 * 1024 * 1024);
    const bytes = await tarGz([
      { header: { name: "small.txt" }, data: "new" },
      { header: { name: "big.bin" }, data: big },
    ]);
    const file = sandbox.write("bundle.tar.gz", bytes);
    await extractArchive(file, "tar.gz", sandbox.staging, LIMITS);
    expect(await caught(extractArchive(file, "tar.gz", sandbox.staging, LIMITS))).toMatchObject({
      code: "EEXIST",
    });
  });

  it("refuses to follow a symlink already there", async () => {
    const outside = join(sandbox.root, "outside");
    mkdirSync(outside);
    mkdirSync(sandbox.staging, { recursive: true });
    symlinkSync(outside, join(sandbox.staging, "assets"));
    const file = sandbox.write(
      "bundle.tar.gz",
      await tarGz([{ header: { name: "assets/app.js" }, data: "x" }]),
    );
    await caught(extractArchive(file, "tar.gz", sandbox.staging, LIMITS));
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe("format checks", () => {
  it("refuses a file that is neither zip nor gzip", async () => {
    const error = await expectRefused(sandbox, Buffer.from("<html>"), "zip", "unsupported_archive");
    expect(error.message).toMatch(/neither a zip nor/);
  });

  it("refuses an empty upload", async () => {
    await expectRefused(sandbox, new Uint8Array(), "tar.gz", "unsupported_archive");
  });

  it("refuses an archive sent under the other format's name", async () => {
    const bytes = zipBytes([{ name: "a.txt", data: "a" }]);
    const error = await expectRefused(sandbox, bytes, "tar.gz", "unsupported_archive");
    expect(error.message).toMatch(/sent as tar.gz but is a zip/);
  });
});
