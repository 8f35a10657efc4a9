import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectRefused, LIMITS, Sandbox } from "../helpers/archive-sandbox.ts";
import { paxRecord, TAR_END, tarBody, tarGz, tarHeader } from "../helpers/tar-bytes.ts";

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = new Sandbox();
});
afterEach(() => sandbox.cleanup());

const refused = (bytes: Uint8Array, code: string, limits = LIMITS) =>
  expectRefused(sandbox, bytes, "tar.gz", code, limits);

const GOOD = { header: { name: "index.html" }, data: "<h1>ok</h1>" };

/** A raw tar entry whose name goes through a pax record, where anything fits. */
const paxNamed = (name: string, data: string, typeflag = "0"): Buffer[] => {
  const record = paxRecord("path", name);
  return [
    tarHeader({ name: "PaxHeader", typeflag: "x", size: Buffer.byteLength(record) }),
    tarBody(record),
    tarHeader({ name: "placeholder", size: data.length, typeflag }),
    tarBody(data),
  ];
};

describe("corrupt tar.gz", () => {
  it("refuses a truncated gzip", async () => {
    const whole = await tarGz([GOOD, { header: { name: "b.txt" }, data: "b".repeat(5000) }]);
    await refused(whole.subarray(0, whole.length - 40), "corrupt_archive");
  });

  it("refuses a gzip whose checksum does not match", async () => {
    const bytes = await tarGz([GOOD]);
    bytes[bytes.length - 6] = (bytes[bytes.length - 6] ?? 0) ^ 0xff;
    await refused(bytes, "corrupt_archive");
  });

  it("refuses a gzip that does not hold a tar", async () => {
    const error = await refused(gzipSync("just some text ".repeat(100)), "corrupt_archive");
    expect(error.message).toMatch(/tar/);
  });

  it("refuses a tar cut off inside a body", async () => {
    const tar = Buffer.concat([tarHeader({ name: "a.txt", size: 5000 }), Buffer.alloc(1000)]);
    await refused(gzipSync(tar), "corrupt_archive");
  });
});

describe("empty tar.gz", () => {
  it("refuses a tar with no entries", async () => {
    await refused(await tarGz([]), "empty_archive");
  });

  it("refuses a gzip of nothing", async () => {
    await refused(gzipSync(Buffer.alloc(0)), "empty_archive");
  });

  it("refuses a tar with only directories", async () => {
    const bytes = await tarGz([
      { header: { name: "./", type: "directory" } },
      { header: { name: "a", type: "directory" } },
    ]);
    await refused(bytes, "empty_archive");
  });

  it("treats a tar of pax global headers alone as empty", async () => {
    const record = paxRecord("comment", "nothing here");
    const global = tarHeader({ name: "pax_global_header", typeflag: "g", size: record.length });
    const tar = Buffer.concat([global, tarBody(record), global, tarBody(record), TAR_END]);
    await refused(gzipSync(tar), "empty_archive");
  });
});

describe("unsafe names in tar.gz", () => {
  const cases: [string, string][] = [
    ["a .. segment", "../evil"],
    ["a .. segment deeper down", "./assets/../../evil"],
    ["an absolute path", "/tmp/evil"],
    ["a backslash", "..\\evil"],
    ["a drive letter", "C:/evil"],
  ];
  it.each(cases)("refuses %s", async (_label, name) => {
    const bytes = await tarGz([GOOD, { header: { name }, data: "pwned" }]);
    const error = await refused(bytes, "unsafe_path");
    expect(error.message).toContain(JSON.stringify(name));
  });

  it("refuses a .. segment hidden in a pax path", async () => {
    const tar = Buffer.concat([...paxNamed("a/../../evil", "pwned"), TAR_END]);
    await refused(gzipSync(tar), "unsafe_path");
  });

  it("refuses a NUL byte hidden in a pax path", async () => {
    const tar = Buffer.concat([...paxNamed("evil\0.txt", "pwned"), TAR_END]);
    await refused(gzipSync(tar), "unsafe_path");
  });
});

describe("unsupported tar entries", () => {
  const special: [string, Record<string, unknown>][] = [
    ["symlink", { type: "symlink", linkname: "/etc/passwd" }],
    ["hard link", { type: "link", linkname: "index.html" }],
    ["character device", { type: "character-device", devmajor: 1, devminor: 3 }],
    ["block device", { type: "block-device", devmajor: 8, devminor: 0 }],
    ["fifo", { type: "fifo" }],
  ];
  it.each(special)("refuses a %s", async (_label, header) => {
    const bytes = await tarGz([GOOD, { header: { name: "special", ...header } }]);
    const error = await refused(bytes, "unsupported_entry");
    expect(error.message).toMatch(/^Entry "special" is /);
  });

  it("refuses a contiguous file, however file-like", async () => {
    const bytes = await tarGz([
      GOOD,
      { header: { name: "special", type: "contiguous-file" }, data: "x" },
    ]);
    await refused(bytes, "unsupported_entry");
  });

  it("names the target of a symlink", async () => {
    const bytes = await tarGz([{ header: { name: "x", type: "symlink", linkname: "/etc" } }]);
    const error = await refused(bytes, "unsupported_entry");
    expect(error.message).toContain('symbolic link to "/etc"');
  });

  it("refuses an unknown entry type", async () => {
    const tar = Buffer.concat([tarHeader({ name: "odd", typeflag: "Z" }), TAR_END]);
    await refused(gzipSync(tar), "unsupported_entry");
  });

  it("refuses a regular file whose name ends in a slash", async () => {
    const tar = Buffer.concat([...paxNamed("dir/", "data"), TAR_END]);
    await refused(gzipSync(tar), "unsupported_entry");
  });
});

describe("duplicate tar entries", () => {
  it("refuses the same name twice", async () => {
    await refused(await tarGz([GOOD, GOOD]), "duplicate_entry");
  });

  it("refuses names that normalise to the same path", async () => {
    const bytes = await tarGz([GOOD, { header: { name: "./index.html" }, data: "x" }]);
    await refused(bytes, "duplicate_entry");
  });

  it("refuses a file and a directory with the same path", async () => {
    const bytes = await tarGz([
      { header: { name: "a" }, data: "x" },
      { header: { name: "a", type: "directory" } },
    ]);
    await refused(bytes, "duplicate_entry");
  });

  it("refuses a file used as a parent directory", async () => {
    const bytes = await tarGz([
      { header: { name: "a" }, data: "x" },
      { header: { name: "a/b" }, data: "y" },
    ]);
    await refused(bytes, "duplicate_entry");
  });
});

describe("tar.gz limits", () => {
  it("refuses more entries than allowed", async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ header: { name: `f${i}` }, data: "x" }));
    await refused(await tarGz(entries), "too_many_entries", { ...LIMITS, maxEntries: 4 });
  });

  it("refuses more uncompressed bytes than allowed", async () => {
    const data = "x".repeat(600_000);
    const bytes = await tarGz([
      { header: { name: "a" }, data },
      { header: { name: "b" }, data },
    ]);
    const limits = { ...LIMITS, maxUncompressedBytes: 1_000_000, maxCompressionRatio: 1e6 };
    await refused(bytes, "too_large_uncompressed", limits);
  });

  it("refuses a header declaring a huge file before reading its body", async () => {
    const tar = Buffer.concat([tarHeader({ name: "huge.bin", size: 4 * 1024 ** 3 }), TAR_END]);
    const error = await refused(gzipSync(tar), "too_large_uncompressed");
    expect(error.message).toContain('"huge.bin"');
  });

  it("refuses a bomb by compression ratio", async () => {
    const bytes = await tarGz([
      { header: { name: "zeros.bin" }, data: Buffer.alloc(50 * 1024 * 1024) },
    ]);
    const limits = { ...LIMITS, maxUncompressedBytes: 100 * 1024 * 1024 };
    await refused(bytes, "compression_ratio_exceeded", limits);
  });

  // A small valid tar followed by 16 GiB of zero blocks, as concatenated gzip
  // members: tar-stream reads zero blocks as padding, so only the count of
  // gunzipped bytes can stop it, and it must do so long before the end.
  const gzipBomb = (): Buffer => {
    const head = gzipSync(Buffer.concat([tarHeader({ name: "a.txt", size: 2 }), tarBody("hi")]));
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    return Buffer.concat([head, ...Array.from({ length: 1024 }, () => member)]);
  };

  it("stops a gzip bomb at the size limit without inflating it all", async () => {
    const started = Date.now();
    const limits = { ...LIMITS, maxUncompressedBytes: 8 * 1024 * 1024 };
    const error = await refused(gzipBomb(), "too_large_uncompressed", limits);
    expect(error.message).toMatch(/bytes of tar data/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops a gzip bomb at the ratio limit without inflating it all", async () => {
    const started = Date.now();
    const limits = { ...LIMITS, maxUncompressedBytes: 1024 ** 4, maxCompressionRatio: 1 };
    await refused(gzipBomb(), "compression_ratio_exceeded", limits);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
