/**
 * Decompression bombs for the stall benchmark: ~12 MB archives that inflate to
 * 1.75 GiB (16 entries of 112 MiB of sparse noise, about 147:1). One body is
 * compressed once and reused for every entry, so generating a bomb takes well
 * under a second and never holds more than one body.
 */
import fs from "node:fs";
import { crc32, deflateRawSync, gzipSync } from "node:zlib";
import { type RawZipEntry, rng, writeZip } from "./bundles.ts";

const MiB = 1024 * 1024;

const ENTRIES = 16;
const ENTRY_BYTES = 112 * MiB;

function sparseNoise(): Buffer {
  const data = Buffer.alloc(ENTRY_BYTES);
  const next = rng(11);
  for (let i = 0; i < data.length; i += 401) data[i] = Math.floor(next() * 256);
  return data;
}

/**
 * A zip bomb. `lie` false: the central directory declares the true sizes (a
 * reader that trusts it can refuse the bomb before inflating anything). `lie`
 * true: every entry declares 1 MiB, so only the bytes actually inflated give
 * it away.
 */
export function writeZipBomb(file: string, lie: boolean): { bytes: number; inflates: number } {
  const data = sparseNoise();
  const crc = crc32(data);
  const body = deflateRawSync(data, { level: 6 });
  function* entries(): Generator<RawZipEntry> {
    for (let i = 0; i < ENTRIES; i++) {
      yield { name: `bomb/${i}.txt`, body, method: 8, crc, size: lie ? MiB : ENTRY_BYTES };
    }
  }
  return { bytes: writeZip(file, entries()), inflates: ENTRIES * ENTRY_BYTES };
}

/** A tar header block for a regular file (ustar, mode 0644). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148); // checksum field counts as spaces while summing
  h.write("0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

/**
 * A tar.gz bomb, as concatenated gzip members (valid gzip, which gunzip reads
 * as one stream): per entry a header member and the one shared body member.
 * tar carries no central directory: nothing but the stream itself tells.
 */
export function writeTarBomb(file: string): { bytes: number; inflates: number } {
  const body = gzipSync(sparseNoise(), { level: 6 });
  const fd = fs.openSync(file, "wx", 0o600);
  let bytes = 0;
  try {
    for (let i = 0; i < ENTRIES; i++) {
      bytes += fs.writeSync(fd, gzipSync(tarHeader(`bomb/${i}.txt`, ENTRY_BYTES)));
      bytes += fs.writeSync(fd, body);
    }
    bytes += fs.writeSync(fd, gzipSync(Buffer.alloc(1024)));
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, inflates: ENTRIES * ENTRY_BYTES };
}
