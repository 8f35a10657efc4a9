import { deflateRawSync } from "node:zlib";
import AdmZip from "adm-zip";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectRefused, LIMITS, Sandbox } from "../helpers/archive-sandbox.ts";
import { unixAttributes, zipBytes } from "../helpers/zip-bytes.ts";

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = new Sandbox();
});
afterEach(() => sandbox.cleanup());

const refused = (bytes: Uint8Array, code: string, limits = LIMITS) =>
  expectRefused(sandbox, bytes, "zip", code, limits);

const GOOD = { name: "index.html", data: "<h1>ok</h1>" };

describe("corrupt zips", () => {
  it("refuses a truncated zip", async () => {
    const whole = zipBytes([GOOD, { name: "b.txt", data: "b".repeat(1000) }]);
    await refused(whole.subarray(0, whole.length - 30), "corrupt_archive");
  });

  it("refuses a central directory that points past the end of the file", async () => {
    const bytes = zipBytes([GOOD]);
    bytes.writeUInt32LE(0x7fff_0000, bytes.length - 22 - 46 - GOOD.name.length + 42);
    await refused(bytes, "corrupt_archive");
  });

  it("refuses a bad CRC", async () => {
    const error = await refused(zipBytes([{ ...GOOD, crc: 0xdeadbeef }]), "corrupt_archive");
    expect(error.message).toContain('"index.html"');
    expect(error.message).toMatch(/CRC/);
  });

  it("refuses a stored entry whose size disagrees with its data", async () => {
    await refused(zipBytes([{ ...GOOD, method: 0, declaredSize: 3 }]), "corrupt_archive");
  });

  it("refuses a deflated entry shorter than it declares", async () => {
    await refused(zipBytes([{ ...GOOD, declaredSize: 500 }]), "corrupt_archive");
  });

  it("refuses deflate data that does not inflate", async () => {
    await refused(zipBytes([{ ...GOOD, body: Buffer.from("garbage!") }]), "corrupt_archive");
  });
});

describe("empty zips", () => {
  it("refuses a zip with no entries", async () => {
    await refused(new AdmZip().toBuffer(), "empty_archive");
  });

  it("refuses a zip with only directories", async () => {
    await refused(zipBytes([{ name: "a/" }, { name: "a/b/" }]), "empty_archive");
  });
});

describe("unsafe names in zips", () => {
  const cases: [string, string | Uint8Array][] = [
    ["a .. segment", "../evil"],
    ["a .. segment deeper down", "assets/../../evil"],
    ["a .. directory", "../../evil/"],
    ["an absolute path", "/tmp/evil"],
    ["a backslash", "..\\evil"],
    ["a backslash inside a name", "a\\b"],
    ["a drive letter", "C:/evil"],
    ["a bare drive letter", "c:evil"],
    ["a NUL byte", Buffer.from("evil\0.txt")],
    ["an over-long segment", `${"x".repeat(256)}.txt`],
  ];
  it.each(cases)("refuses %s", async (_label, name) => {
    const error = await refused(zipBytes([GOOD, { name, data: "pwned" }]), "unsafe_path");
    expect(error.message).toMatch(/^Entry ".*"/);
  });

  it("refuses an absolute path into the sandbox itself", async () => {
    const name = `${sandbox.root}/evil`;
    await refused(zipBytes([{ name, data: "pwned" }]), "unsafe_path");
  });
});

describe("unsupported zip entries", () => {
  it("refuses a symlink entry", async () => {
    const symlink = {
      name: "link",
      data: "/etc/passwd",
      externalAttributes: unixAttributes(0o120777),
    };
    const error = await refused(zipBytes([GOOD, symlink]), "unsupported_entry");
    expect(error.message).toBe('Entry "link" is a symbolic link.');
  });

  it("refuses a symlink even when the made-by host is not unix", async () => {
    const symlink = {
      name: "link",
      data: "../../x",
      madeBy: 0x0014,
      externalAttributes: unixAttributes(0o120777),
    };
    await refused(zipBytes([symlink, GOOD]), "unsupported_entry");
  });

  it("refuses device and fifo entries", async () => {
    for (const type of [0o020000, 0o060000, 0o010000, 0o140000]) {
      const special = { name: "dev", externalAttributes: unixAttributes(type | 0o644) };
      await refused(zipBytes([GOOD, special]), "unsupported_entry");
      sandbox.cleanup();
      sandbox = new Sandbox();
    }
  });

  it("refuses encrypted entries and unknown compression methods", async () => {
    await refused(zipBytes([{ ...GOOD, flags: 0x0801 }]), "unsupported_entry");
    sandbox.cleanup();
    sandbox = new Sandbox();
    const error = await refused(zipBytes([{ ...GOOD, method: 12 }]), "unsupported_entry");
    expect(error.message).toMatch(/compression method 12/);
  });

  it("refuses a directory entry carrying data", async () => {
    await refused(zipBytes([GOOD, { name: "dir/", data: "hidden" }]), "unsupported_entry");
  });
});

describe("duplicate zip entries", () => {
  it("refuses the same name twice", async () => {
    const error = await refused(zipBytes([GOOD, { ...GOOD, data: "other" }]), "duplicate_entry");
    expect(error.message).toContain("index.html");
  });

  it("refuses names that normalise to the same path", async () => {
    await refused(zipBytes([GOOD, { name: "./index.html", data: "x" }]), "duplicate_entry");
  });

  it("refuses a file and a directory with the same path", async () => {
    await refused(zipBytes([{ name: "a", data: "file" }, { name: "a/" }]), "duplicate_entry");
  });

  it("refuses a file used as a parent directory", async () => {
    const bytes = zipBytes([
      { name: "a", data: "file" },
      { name: "a/b.txt", data: "x" },
    ]);
    await refused(bytes, "duplicate_entry");
  });

  it("compares case-sensitively", async () => {
    const bytes = zipBytes([GOOD, { name: "INDEX.html", data: "x" }]);
    const file = sandbox.write("bundle.zip", bytes);
    const { inspectArchive } = await import("../../src/adapters/archive/index.ts");
    expect(await inspectArchive(file, "zip", LIMITS)).toMatchObject({ fileCount: 2 });
  });
});

describe("zip limits", () => {
  it("refuses more entries than allowed", async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.txt`, data: "x" }));
    await refused(zipBytes(entries), "too_many_entries", { ...LIMITS, maxEntries: 4 });
  });

  it("counts directories as entries", async () => {
    const entries = [{ name: "a/" }, { name: "b/" }, { name: "c/" }, GOOD];
    await refused(zipBytes(entries), "too_many_entries", { ...LIMITS, maxEntries: 3 });
  });

  it("refuses more uncompressed bytes than allowed", async () => {
    const data = "x".repeat(600_000);
    const entries = [
      { name: "a.txt", data },
      { name: "b.txt", data },
    ];
    const limits = { ...LIMITS, maxUncompressedBytes: 1_000_000, maxCompressionRatio: 1e6 };
    await refused(zipBytes(entries), "too_large_uncompressed", limits);
  });

  it("refuses a zip bomb by compression ratio", async () => {
    const zip = new AdmZip();
    zip.addFile("zeros.bin", Buffer.alloc(50 * 1024 * 1024));
    const limits = { ...LIMITS, maxUncompressedBytes: 100 * 1024 * 1024 };
    const error = await refused(zip.toBuffer(), "compression_ratio_exceeded", limits);
    expect(error.message).toContain('"zeros.bin"');
  });

  it("refuses an entry that inflates to more than it declares", async () => {
    const body = deflateRawSync(Buffer.alloc(10 * 1024 * 1024));
    const liar = { name: "small.txt", body, declaredSize: 10, crc: 0 };
    const error = await refused(zipBytes([GOOD, liar]), "compression_ratio_exceeded");
    expect(error.message).toMatch(/"small.txt" inflates to more than the 10 bytes it declares/);
  });
});
