import { createHmac, timingSafeEqual } from "node:crypto";
import type { Secret } from "../../domain/secret.ts";

/** RFC 8945 transaction signatures: what BIND, Knot and PowerDNS accept for updates. */
export const TSIG_ALGORITHMS = ["hmac-sha256", "hmac-sha512"] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

export type TsigKey = { name: string; algorithm: TsigAlgorithm; secret: Secret };

/** TSIG error codes a server puts in its TSIG record (RFC 8945 §5.3). */
export const TSIG_ERRORS: Record<number, string> = {
  16: "BADSIG",
  17: "BADKEY",
  18: "BADTIME",
  22: "BADTRUNC",
};

const TYPE_TSIG = 250;
const CLASS_ANY = 255;
const FUDGE = 300;
const hash = { "hmac-sha256": "sha256", "hmac-sha512": "sha512" } as const;

/** A name in canonical wire form: lowercase, uncompressed, root-terminated. */
export function wireName(name: string): Buffer {
  const labels = name.replace(/\.$/, "").toLowerCase().split(".").filter(Boolean);
  return Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])),
    Buffer.from([0]),
  ]);
}

const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
};
const u48 = (v: number) => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(v, 0, 6);
  return b;
};

function hmac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const h = createHmac(hash[key.algorithm], Buffer.from(key.secret.reveal(), "base64"));
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The TSIG variables that follow the message in the MAC input. */
function variables(key: TsigKey, time: number, fudge: number, error: number, other: Buffer) {
  return Buffer.concat([
    wireName(key.name),
    u16(CLASS_ANY),
    Buffer.alloc(4), // TTL 0
    wireName(key.algorithm),
    u48(time),
    u16(fudge),
    u16(error),
    u16(other.length),
    other,
  ]);
}

/**
 * Appends a TSIG record to an encoded message (ARCOUNT + 1). Returns the signed bytes and
 * the MAC, which the response's MAC covers.
 */
export function sign(
  message: Buffer,
  key: TsigKey,
  now = Date.now(),
): { bytes: Buffer; mac: Buffer } {
  const time = Math.floor(now / 1000);
  const mac = hmac(key, message, variables(key, time, FUDGE, 0, Buffer.alloc(0)));
  const id = message.readUInt16BE(0);
  const rdata = Buffer.concat([
    wireName(key.algorithm),
    u48(time),
    u16(FUDGE),
    u16(mac.length),
    mac,
    u16(id),
    u16(0),
    u16(0),
  ]);
  const rr = Buffer.concat([
    wireName(key.name),
    u16(TYPE_TSIG),
    u16(CLASS_ANY),
    Buffer.alloc(4),
    u16(rdata.length),
    rdata,
  ]);
  const bytes = Buffer.concat([message, rr]);
  bytes.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { bytes, mac };
}

/** Offset just past a (possibly compressed) name. */
function skipName(buf: Buffer, offset: number): number {
  let at = offset;
  for (;;) {
    const len = buf[at];
    if (len === undefined) throw new Error("truncated name");
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
}

function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  for (;;) {
    const len = buf[at];
    if (len === undefined || (len & 0xc0) !== 0)
      throw new Error("a TSIG name must not be compressed");
    if (len === 0) return { name: labels.join("."), end: at + 1 };
    labels.push(buf.toString("ascii", at + 1, at + 1 + len));
    at += len + 1;
  }
}

export type TsigRecord = {
  /** Where the TSIG record starts: the message before it is what the MAC covers. */
  offset: number;
  keyName: string;
  algorithm: string;
  time: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
};

/** The TSIG record of a message (always the last additional record), or null. */
export function findTsig(buf: Buffer): TsigRecord | null {
  if (buf.length < 12) return null;
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  const [qd = 0, an = 0, ns = 0, ar = 0] = counts;
  if (ar === 0) return null;
  let at = 12;
  for (let i = 0; i < qd; i++) at = skipName(buf, at) + 4;
  let last = at;
  for (let i = 0; i < an + ns + ar; i++) {
    last = at;
    at = skipName(buf, at);
    at += 10 + buf.readUInt16BE(at + 8);
  }
  if (buf.readUInt16BE(skipName(buf, last)) !== TYPE_TSIG) return null;
  const owner = readName(buf, last);
  const alg = readName(buf, owner.end + 10);
  let p = alg.end;
  const time = buf.readUIntBE(p, 6);
  const fudge = buf.readUInt16BE(p + 6);
  const macLen = buf.readUInt16BE(p + 8);
  p += 10;
  const mac = buf.subarray(p, p + macLen);
  p += macLen;
  const otherLen = buf.readUInt16BE(p + 4);
  return {
    offset: last,
    keyName: owner.name,
    algorithm: alg.name,
    time,
    fudge,
    mac,
    originalId: buf.readUInt16BE(p),
    error: buf.readUInt16BE(p + 2),
    other: buf.subarray(p + 6, p + 6 + otherLen),
  };
}

/** Whether a response's TSIG MAC is the one the key makes over it and the request's MAC. */
export function verify(response: Buffer, tsig: TsigRecord, key: TsigKey, requestMac: Buffer) {
  if (tsig.keyName.toLowerCase() !== key.name.replace(/\.$/, "").toLowerCase()) return false;
  const unsigned = Buffer.from(response.subarray(0, tsig.offset));
  unsigned.writeUInt16BE(tsig.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const expected = hmac(
    key,
    u16(requestMac.length),
    requestMac,
    unsigned,
    variables(key, tsig.time, tsig.fudge, tsig.error, tsig.other),
  );
  return expected.length === tsig.mac.length && timingSafeEqual(expected, tsig.mac);
}
