/**
 * Deterministic bundle content for the benchmarks: compressible web text,
 * incompressible binary assets, zips built in memory with adm-zip, and a
 * streaming writer of stored-entry zips for bundles too big to hold in memory.
 */
import { createCipheriv, createHash } from "node:crypto";
import fs from "node:fs";
import { crc32 } from "node:zlib";
import AdmZip from "adm-zip";

/** mulberry32: a tiny seeded PRNG, so every bundle is the same from run to run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic bytes that deflate cannot shrink (AES-CTR keystream), like images or fonts. */
export function incompressible(seed: string, size: number): Buffer {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
  return cipher.update(Buffer.alloc(size));
}

const KEYWORDS =
  "function return const let if else for div span class color margin padding display flex none null true false this new import export await async width height px em => { } ( ) ;".split(
    " ",
  );

/** Text that compresses like minified web assets (deflate ratio about 3-4x). */
export function webText(seed: number, size: number, kind: "html" | "js" | "css"): Buffer {
  const next = rng(seed);
  const words: string[] = [];
  for (let i = 0; i < 300; i++) {
    let w = "";
    const len = 3 + Math.floor(next() * 9);
    for (let j = 0; j < len; j++) w += String.fromCharCode(97 + Math.floor(next() * 26));
    words.push(w);
  }
  const head =
    kind === "html"
      ? "<!doctype html><html><body>\n"
      : kind === "css"
        ? ":root{}\n"
        : "'use strict';\n";
  const parts: string[] = [head];
  let length = head.length;
  while (length < size) {
    const r = next();
    const token =
      r < 0.45
        ? (KEYWORDS[Math.floor(next() * KEYWORDS.length)] as string)
        : r < 0.95
          ? (words[Math.floor(next() * words.length)] as string)
          : String(Math.floor(next() * 100_000));
    parts.push(token, next() < 0.1 ? "\n" : " ");
    length += token.length + 1;
  }
  return Buffer.from(parts.join("")).subarray(0, size);
}

export type SiteFile = [name: string, data: Buffer];

/**
 * A static site of `files` entries: index.html carrying `marker`, text assets
 * (HTML/JS/CSS) totalling `textBytes`, and 1 in 20 files incompressible binary
 * assets totalling `binaryBytes`.
 */
export function siteFiles(opts: {
  files: number;
  textBytes: number;
  binaryBytes: number;
  marker: string;
  seed?: number;
}): SiteFile[] {
  const seed = opts.seed ?? 1;
  const out: SiteFile[] = [
    [
      "index.html",
      Buffer.from(`<!doctype html><title>${opts.marker}</title><p>${opts.marker}</p>\n`),
    ],
  ];
  const binaries = opts.binaryBytes > 0 ? Math.max(1, Math.floor((opts.files - 1) / 20)) : 0;
  const texts = opts.files - 1 - binaries;
  const kinds = ["html", "js", "css"] as const;
  for (let i = 0; i < texts; i++) {
    const kind = kinds[i % 3] as (typeof kinds)[number];
    const dir = kind === "html" ? `pages/s${i % 10}` : `assets/${kind}`;
    const size = Math.max(64, Math.floor(opts.textBytes / Math.max(texts, 1)));
    out.push([`${dir}/f${i}.${kind}`, webText(seed * 100_003 + i, size, kind)]);
  }
  for (let i = 0; i < binaries; i++) {
    out.push([
      `assets/img/b${i}.webp`,
      incompressible(`${seed}:${i}`, Math.floor(opts.binaryBytes / binaries)),
    ]);
  }
  return out;
}

/** ~`mib` MiB of site for a stored zip: 200 small text files, the rest 4 MiB incompressible assets. */
export function* bigStoredSite(mib: number): Generator<SiteFile> {
  const binary = 4 * 1024 * 1024;
  yield ["index.html", Buffer.from("<!doctype html><p>memory bench</p>\n")];
  for (let i = 0; i < 200; i++) yield [`assets/js/f${i}.js`, webText(i, 16 * 1024, "js")];
  const binaries = Math.ceil((mib * 1024 * 1024 - 200 * 16 * 1024) / binary);
  for (let i = 0; i < binaries; i++)
    yield [`assets/media/m${i}.mp4`, incompressible(`media:${i}`, binary)];
}

/** A deflated zip built in memory with adm-zip (fine up to a few tens of MB). */
export function makeZip(files: SiteFile[]): Buffer {
  const zip = new AdmZip();
  for (const [name, data] of files) zip.addFile(name, data);
  return zip.toBuffer();
}

/** One entry as it goes into a zip: its body already encoded with `method`. */
export type RawZipEntry = { name: string; body: Buffer; method: 0 | 8; crc: number; size: number };

/**
 * Writes a zip of stored (uncompressed) entries straight to `file`, one entry
 * at a time, so the generator never holds more than one entry in memory. No
 * zip64: the total must stay under 4 GiB and 65,535 entries.
 */
export function writeStoredZip(file: string, entries: Iterable<SiteFile>): number {
  function* raw(): Generator<RawZipEntry> {
    for (const [name, data] of entries) {
      yield { name, body: data, method: 0, crc: crc32(data), size: data.length };
    }
  }
  return writeZip(file, raw());
}

/**
 * Writes already encoded entries to `file` one at a time. `size` and `crc` are
 * written as given, so a benchmark can make an archive that lies about them.
 */
export function writeZip(file: string, entries: Iterable<RawZipEntry>): number {
  const fd = fs.openSync(file, "wx", 0o600);
  const central: Buffer[] = [];
  let offset = 0;
  let count = 0;
  try {
    for (const { name, body, method, crc, size } of entries) {
      const nameBytes = Buffer.from(name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4); // version needed
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(method, 8);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(body.length, 18);
      local.writeUInt32LE(size, 22);
      local.writeUInt16LE(nameBytes.length, 26);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(0x0314, 4); // made by unix, 2.0
      cd.writeUInt16LE(20, 6);
      cd.writeUInt16LE(0x0800, 8);
      cd.writeUInt16LE(method, 10);
      cd.writeUInt32LE(crc, 16);
      cd.writeUInt32LE(body.length, 20);
      cd.writeUInt32LE(size, 24);
      cd.writeUInt16LE(nameBytes.length, 28);
      cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
      cd.writeUInt32LE(offset, 42);
      central.push(cd, nameBytes);
      for (const part of [local, nameBytes, body]) offset += fs.writeSync(fd, part);
      count += 1;
    }
    const dir = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(count, 8);
    end.writeUInt16LE(count, 10);
    end.writeUInt32LE(dir.length, 12);
    end.writeUInt32LE(offset, 16);
    fs.writeSync(fd, dir);
    fs.writeSync(fd, end);
    return offset + dir.length + end.length;
  } finally {
    fs.closeSync(fd);
  }
}
