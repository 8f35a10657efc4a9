import fs from "node:fs";
import path from "node:path";

/**
 * The stored output of a run: `output.log` holds the text exactly as the command wrote
 * it (masked), `output.idx` one 16-byte record per change of stream or millisecond
 * (file offset, time × 4 + stream), so each line keeps its stream and time without
 * slowing the copy. Past the cap, the head stays, the tail rolls through two segment
 * files, and at the end a marker line of what was dropped joins them.
 */
export const STREAMS = ["stdout", "stderr", "berth"] as const;
export type Stream = (typeof STREAMS)[number];
export type Chunk = { offset: number; stream: Stream; at: number; text: string };

const REC = 16;

type Pair = { name: string; log: number; idx: number; bytes: number; base: number; last: number };

function openPair(dir: string, name: string, base: number): Pair {
  const log = fs.openSync(path.join(dir, `${name}.log`), "w");
  const idx = fs.openSync(path.join(dir, `${name}.idx`), "w");
  return { name, log, idx, bytes: 0, base, last: -1 };
}

function closePair(p: Pair): void {
  fs.closeSync(p.log);
  fs.closeSync(p.idx);
}

function append(p: Pair, stream: Stream, at: number, bytes: Buffer): void {
  const code = at * 4 + STREAMS.indexOf(stream);
  if (code !== p.last) {
    const rec = Buffer.allocUnsafe(REC);
    rec.writeDoubleLE(p.base + p.bytes, 0);
    rec.writeDoubleLE(code, 8);
    fs.writeSync(p.idx, rec);
    p.last = code;
  }
  fs.writeSync(p.log, bytes);
  p.bytes += bytes.length;
}

export type LiveLog = {
  write(stream: Stream, data: string | Buffer, at: number): number;
  /** Bytes seen so far (kept or not). */
  readonly total: number;
  /** The newest output, up to maxBytes, from where it is kept now. */
  recent(maxBytes: number): Chunk[];
  /** Output from a logical offset on (the last maxBytes of it at most). */
  since(from: number, maxBytes: number): Chunk[];
  finish(): { bytes: number; dropped: number };
};

export function createLiveLog(dir: string, capBytes: number): LiveLog {
  fs.mkdirSync(dir, { recursive: true });
  const headBudget = Math.floor(capBytes / 2);
  const segBudget = Math.max(1, Math.floor((capBytes - headBudget) / 2));
  const head = openPair(dir, "output", 0);
  let total = 0;
  const segs: Pair[] = [];
  let segNo = 0;

  const toTail = (stream: Stream, at: number, bytes: Buffer) => {
    let cur = segs[segs.length - 1];
    if (!cur || cur.bytes >= segBudget) {
      if (segs.length === 2) {
        const old = segs.shift() as Pair;
        closePair(old);
      }
      cur = openPair(dir, `tail-${segNo++ % 3}`, total);
      segs.push(cur);
    }
    append(cur, stream, at, bytes);
  };

  /** Output kept from logical offset `from` on (at most the last maxBytes of it). */
  const since = (from: number, maxBytes: number): Chunk[] => {
    const start = Math.max(0, from, total - maxBytes);
    const out: Chunk[] = [];
    if (start < head.bytes) out.push(...readPair(dir, "output", start, head.bytes, 0));
    for (const s of segs) {
      const lo = Math.max(0, start - s.base);
      if (lo < s.bytes) out.push(...readPair(dir, s.name, lo, s.bytes, s.base));
    }
    return out;
  };

  return {
    write(stream, data, at) {
      const offset = total;
      let bytes = typeof data === "string" ? Buffer.from(data) : data;
      if (segs.length === 0) {
        const room = headBudget - head.bytes;
        if (bytes.length <= room) {
          append(head, stream, at, bytes);
          total += bytes.length;
          return offset;
        }
        // the head ends at a line end where one fits
        const nl = bytes.subarray(0, room).lastIndexOf(10);
        const cut = nl >= 0 ? nl + 1 : room;
        if (cut > 0) append(head, stream, at, bytes.subarray(0, cut));
        total += cut;
        bytes = bytes.subarray(cut);
      }
      if (bytes.length > 0) {
        toTail(stream, at, bytes);
        total += bytes.length;
      }
      return offset;
    },
    get total() {
      return total;
    },
    recent(maxBytes) {
      return since(total - maxBytes, maxBytes);
    },
    since,
    finish() {
      if (segs.length === 0) {
        closePair(head);
        return { bytes: head.bytes, dropped: 0 };
      }
      const tailBudget = capBytes - headBudget;
      const names = segs.map((s) => s.name);
      const tailBytes = Buffer.concat(
        names.map((n) => fs.readFileSync(path.join(dir, `${n}.log`))),
      );
      const tailBase = segs[0]?.base ?? total;
      let skip = Math.max(0, tailBytes.length - tailBudget);
      if (skip > 0) {
        const nl = tailBytes.indexOf(10, skip);
        skip = nl >= 0 && nl + 1 < tailBytes.length ? nl + 1 : skip;
      }
      const kept = tailBytes.subarray(skip);
      const dropped = total - head.bytes - kept.length;
      const marker = Buffer.from(
        `${head.bytes > 0 && !headEndsLine(dir, head.bytes) ? "\n" : ""}[... ${dropped} bytes of output dropped: the cap keeps the head and the tail ...]\n`,
      );
      const now = Date.now();
      append(head, "berth", now, marker);
      // tail records, moved to their place in the joined file
      const recs: Buffer[] = [];
      for (const n of names) recs.push(fs.readFileSync(path.join(dir, `${n}.idx`)));
      const all = Buffer.concat(recs);
      const start = tailBase + skip;
      const fileBase = head.bytes;
      let firstDone = false;
      for (let i = 0; i < all.length; i += REC) {
        const off = all.readDoubleLE(i);
        const nextOff = i + REC < all.length ? all.readDoubleLE(i + REC) : Number.POSITIVE_INFINITY;
        if (nextOff <= start) continue;
        const rec = Buffer.allocUnsafe(REC);
        rec.writeDoubleLE(
          fileBase + Math.max(0, (firstDone ? off : Math.max(off, start)) - start),
          0,
        );
        rec.writeDoubleLE(all.readDoubleLE(i + 8), 8);
        fs.writeSync(head.idx, rec);
        firstDone = true;
      }
      fs.writeSync(head.log, kept);
      head.bytes += kept.length;
      for (const s of segs) closePair(s);
      for (const n of names) {
        fs.rmSync(path.join(dir, `${n}.log`), { force: true });
        fs.rmSync(path.join(dir, `${n}.idx`), { force: true });
      }
      closePair(head);
      return { bytes: head.bytes, dropped };
    },
  };
}

function headEndsLine(dir: string, size: number): boolean {
  const fd = fs.openSync(path.join(dir, "output.log"), "r");
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, size - 1);
    return b[0] === 10;
  } finally {
    fs.closeSync(fd);
  }
}

/** Index records whose span touches [from, to): binary search, then a short scan. */
function records(idxFd: number, from: number, to: number): { off: number; code: number }[] {
  const n = Math.floor(fs.fstatSync(idxFd).size / REC);
  const rec = Buffer.alloc(REC);
  const at = (i: number) => {
    fs.readSync(idxFd, rec, 0, REC, i * REC);
    return { off: rec.readDoubleLE(0), code: rec.readDoubleLE(8) };
  };
  let lo = 0;
  let hi = n - 1;
  let first = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid).off <= from) {
      first = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const out: { off: number; code: number }[] = [];
  for (let i = first; i < n; i++) {
    const r = at(i);
    if (r.off >= to) break;
    out.push(r);
  }
  return out;
}

function readPair(dir: string, name: string, from: number, to: number, base: number): Chunk[] {
  let logFd: number;
  let idxFd: number;
  try {
    logFd = fs.openSync(path.join(dir, `${name}.log`), "r");
    idxFd = fs.openSync(path.join(dir, `${name}.idx`), "r");
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(logFd).size;
    const end = Math.min(to, size);
    if (end <= from) return [];
    const buf = Buffer.alloc(end - from);
    fs.readSync(logFd, buf, 0, buf.length, from);
    const recs = records(idxFd, from + base, end + base).map((r) => ({ ...r, off: r.off - base }));
    const chunks: Chunk[] = [];
    recs.forEach((r, i) => {
      const s = Math.max(r.off, from);
      const e = Math.min(recs[i + 1]?.off ?? end, end);
      if (e <= s) return;
      chunks.push({
        offset: s + base,
        stream: STREAMS[r.code % 4] ?? "stdout",
        at: Math.floor(r.code / 4),
        text: buf.subarray(s - from, e - from).toString("utf8"),
      });
    });
    return chunks;
  } finally {
    fs.closeSync(logFd);
    fs.closeSync(idxFd);
  }
}

/** A slice of a finished run's stored output, by byte offset; `size` is the whole file. */
export function readSlice(
  dir: string,
  offset: number,
  length: number,
): { chunks: Chunk[]; size: number } {
  let size = 0;
  try {
    size = fs.statSync(path.join(dir, "output.log")).size;
  } catch {
    return { chunks: [], size: 0 };
  }
  const from = offset < 0 ? Math.max(0, size + offset) : Math.min(offset, size);
  return { chunks: readPair(dir, "output", from, Math.min(size, from + length), 0), size };
}

export const outputFile = (dir: string) => path.join(dir, "output.log");
