import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { promisify } from "node:util";
import { crc32, deflateRaw } from "node:zlib";

const deflate = promisify(deflateRaw);
const STORED = 0;
const DEFLATED = 8;
const MAX_ZIP32 = 0xffff_ffff;
const MAX_ENTRIES = 0xffff;

export type PackedZip = { chunks: AsyncGenerator<Buffer>; fileCount: () => number };

/**
 * Zips a directory as a stream of chunks, one file at a time: each body is read and
 * deflated asynchronously (zlib's thread pool, never the event loop), so packing a
 * big build output neither blocks the server nor holds more than one file. Symbolic
 * links are followed only when they stay inside the directory; anything else that is
 * not a regular file or a directory is left out. Plain zip (no zip64): up to 65,535
 * files of under 4 GiB each.
 */
export function packDirectory(root: string): PackedZip {
  let count = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    const base = await realpath(root);
    const central: Buffer[] = [];
    let offset = 0;
    for await (const file of walk(base, "", base)) {
      const data = await readFile(file.abs);
      const packed = await deflate(data);
      const method = packed.length < data.length ? DEFLATED : STORED;
      const body = method === DEFLATED ? packed : data;
      if (data.length > MAX_ZIP32 || offset + body.length > MAX_ZIP32) {
        throw new Error("The output is too large for a zip bundle (4 GiB).");
      }
      if (count >= MAX_ENTRIES) throw new Error("The output has more than 65,535 files.");
      const name = Buffer.from(file.rel);
      const crc = crc32(data);
      const local = header(0x04034b50, 30, {
        method,
        crc,
        packed: body.length,
        size: data.length,
        name,
      });
      yield Buffer.concat([local, name]);
      yield body;
      const entry = header(0x02014b50, 46, {
        method,
        crc,
        packed: body.length,
        size: data.length,
        name,
        offset,
      });
      central.push(entry, name);
      offset += local.length + name.length + body.length;
      count += 1;
    }
    const directory = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(count, 8);
    end.writeUInt16LE(count, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    yield Buffer.concat([directory, end]);
  }
  return { chunks: chunks(), fileCount: () => count };
}

type Fields = {
  method: number;
  crc: number;
  packed: number;
  size: number;
  name: Buffer;
  offset?: number;
};

/** A local file header (30 bytes) or a central directory entry (46), without the name. */
function header(signature: number, length: 30 | 46, f: Fields): Buffer {
  const b = Buffer.alloc(length);
  b.writeUInt32LE(signature, 0);
  let at = 4;
  if (length === 46) {
    b.writeUInt16LE(0x0314, at); // made by: unix, 2.0
    at += 2;
  }
  b.writeUInt16LE(20, at); // version needed: 2.0
  b.writeUInt16LE(0x0800, at + 2); // names are UTF-8
  b.writeUInt16LE(f.method, at + 4);
  // time and date stay 0: the bundle's bytes depend on the files alone
  b.writeUInt32LE(f.crc, at + 10);
  b.writeUInt32LE(f.packed, at + 14);
  b.writeUInt32LE(f.size, at + 18);
  b.writeUInt16LE(f.name.length, at + 22);
  if (length === 46) {
    b.writeUInt32LE((0o100644 << 16) >>> 0, 38); // a regular file, rw-r--r--
    b.writeUInt32LE(f.offset ?? 0, 42);
  }
  return b;
}

async function* walk(
  dir: string,
  prefix: string,
  base: string,
): AsyncGenerator<{ abs: string; rel: string }> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const rel = `${prefix}${entry.name}`;
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* walk(abs, `${rel}/`, base);
    } else if (entry.isFile()) {
      yield { abs, rel };
    } else if (entry.isSymbolicLink()) {
      // a link to a file inside the output is packed as that file; links to
      // directories (which could loop) and out of the output are left out
      const target = await realpath(abs).catch(() => null);
      if (!target?.startsWith(base + sep)) continue;
      if ((await stat(target)).isFile()) yield { abs: target, rel };
    }
  }
}
