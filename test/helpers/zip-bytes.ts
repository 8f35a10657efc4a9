import { crc32, deflateRawSync } from "node:zlib";

/**
 * Hand-built zip archives for tests that need what zip libraries refuse to
 * write: "../" names, backslashes, symlink attributes, sizes and CRCs that lie.
 */
export type RawZipEntry = {
  /** Written byte for byte; a string is encoded as UTF-8. */
  name: string | Uint8Array;
  /** The uncompressed content (default empty). */
  data?: string | Uint8Array;
  /** 0 = stored, 8 = deflate (the default), anything else is written as given. */
  method?: number;
  /** Bytes stored after the local header; defaults to `data` compressed with `method`. */
  body?: Uint8Array;
  /** Uncompressed size written in both headers; defaults to the real size. */
  declaredSize?: number;
  /** CRC-32 written in both headers; defaults to the real one. */
  crc?: number;
  /** External file attributes, e.g. unixAttributes(0o120777) for a symlink. */
  externalAttributes?: number;
  /** "Version made by": (host << 8) | version; defaults to unix, spec 3.0. */
  madeBy?: number;
  /** General purpose flags; defaults to bit 11 (UTF-8 names). */
  flags?: number;
};

export const ZIP_UNIX_HOST = 3;
export const FLAG_UTF8 = 0x0800;

/** A unix st_mode in the upper 16 bits, where zip tools keep it. */
export const unixAttributes = (mode: number): number => (mode * 0x10000) >>> 0;

const bytes = (value: string | Uint8Array | undefined): Buffer =>
  typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value ?? []);

export function zipBytes(entries: RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;

  for (const entry of entries) {
    const name = bytes(entry.name);
    const data = bytes(entry.data);
    const method = entry.method ?? 8;
    const body = entry.body ? Buffer.from(entry.body) : method === 8 ? deflateRawSync(data) : data;
    const crc = entry.crc ?? crc32(data);
    const size = entry.declaredSize ?? data.length;
    const flags = entry.flags ?? FLAG_UTF8;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra length

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(entry.madeBy ?? (ZIP_UNIX_HOST << 8) | 30, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(entry.externalAttributes ?? 0, 38);
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }

  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
