/**
 * Shared helpers for the benchmarks: timing statistics, deterministic bundle
 * generation, and a small client for the Berth API. Every figure a benchmark
 * prints is a ratio against a reference measured in the same run, or a median.
 */
import { createCipheriv, createHash } from "node:crypto";
import fs from "node:fs";
import { request } from "node:http";
import os from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import AdmZip from "adm-zip";
import { openDb } from "../../src/db/client.ts";
import { createLogger } from "../../src/log.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createUser } from "../../src/services/auth/users.ts";
import { createDeps } from "../../src/services/deps.ts";
import { createLayout } from "../../src/services/layout.ts";
import { type RunningServer, startServer } from "../../test/helpers/server.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const MiB = 1024 * 1024;
export const now = (): number => performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile, p in (0, 100]. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** The absolute path of a tool on PATH, or exit 2 with how to install it. */
export function requireTool(name: string, install: string): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  process.stderr.write(`bench: \`${name}\` is not installed. Install it with: ${install}\n`);
  process.exit(2);
}

export const tempDir = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `berth-bench-${tag}-`));
export const removeDir = (dir: string) => fs.rmSync(dir, { recursive: true, force: true });

/** Prints the machine-readable result line that run-all.ts collects. */
export function emitResult(name: string, result: Record<string, unknown>): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ name, ...result })}\n`);
}

// ---------------------------------------------------------------- content

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

const KEYWORDS = ["function", "return", "const", "let", "if", "else", "for", "div", "span", "class",
  "color", "margin", "padding", "display", "flex", "none", "null", "true", "false", "this", "new",
  "import", "export", "await", "async", "width", "height", "px", "em", "=>", "{", "}", "(", ")", ";"];

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
  const head = kind === "html" ? "<!doctype html><html><body>\n" : kind === "css" ? ":root{}\n" : "'use strict';\n";
  const parts: string[] = [head];
  let length = head.length;
  while (length < size) {
    const r = next();
    const token =
      r < 0.45 ? (KEYWORDS[Math.floor(next() * KEYWORDS.length)] as string)
      : r < 0.95 ? (words[Math.floor(next() * words.length)] as string)
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
export function siteFiles(opts: { files: number; textBytes: number; binaryBytes: number; marker: string; seed?: number }): SiteFile[] {
  const seed = opts.seed ?? 1;
  const out: SiteFile[] = [["index.html", Buffer.from(`<!doctype html><title>${opts.marker}</title><p>${opts.marker}</p>\n`)]];
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
    out.push([`assets/img/b${i}.webp`, incompressible(`${seed}:${i}`, Math.floor(opts.binaryBytes / binaries))]);
  }
  return out;
}

/** A deflated zip built in memory with adm-zip (fine up to a few tens of MB). */
export function makeZip(files: SiteFile[]): Buffer {
  const zip = new AdmZip();
  for (const [name, data] of files) zip.addFile(name, data);
  return zip.toBuffer();
}

/**
 * Writes a zip of stored (uncompressed) entries straight to `file`, one entry
 * at a time, so the generator never holds more than one entry in memory. No
 * zip64: the total must stay under 4 GiB and 65,535 entries.
 */
export function writeStoredZip(file: string, entries: Iterable<SiteFile>): number {
  const fd = fs.openSync(file, "wx", 0o600);
  const central: Buffer[] = [];
  let offset = 0;
  let count = 0;
  try {
    for (const [name, data] of entries) {
      const nameBytes = Buffer.from(name);
      const crc = crc32(data);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4); // version needed
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(nameBytes.length, 26);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(0x0314, 4); // made by unix, 2.0
      cd.writeUInt16LE(20, 6);
      cd.writeUInt16LE(0x0800, 8);
      cd.writeUInt32LE(crc, 16);
      cd.writeUInt32LE(data.length, 20);
      cd.writeUInt32LE(data.length, 24);
      cd.writeUInt16LE(nameBytes.length, 28);
      cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
      cd.writeUInt32LE(offset, 42);
      central.push(cd, nameBytes);
      for (const part of [local, nameBytes, data]) offset += fs.writeSync(fd, part);
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

// ---------------------------------------------------------------- Berth API

let bearer = "";
const authHeaders = (): Record<string, string> => (bearer ? { authorization: `Bearer ${bearer}` } : {});

/**
 * Starts the real server (test/helpers/server.ts) on a fresh data directory,
 * with an owner and an admin-scope API key written into its database first,
 * which every API call below then sends.
 */
export async function startBerth(dataDir: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const layout = createLayout(dataDir);
  const db = openDb(layout.dbFile);
  try {
    const limits = { maxBundleBytes: 1, maxEntries: 1, maxUncompressedBytes: 1, maxCompressionRatio: 1 };
    const deps = createDeps({ db, layout, limits, defaultRetention: 10, logger: createLogger("silent") });
    const password = incompressible(`pw:${process.pid}`, 24).toString("hex");
    const owner = await createUser(deps, { email: "bench@example.com", password, role: "owner" });
    bearer = createApiKey(deps, owner, { name: "bench", scope: "admin" }).key;
  } finally {
    db.$client.close();
  }
  return startServer(dataDir, env);
}

export async function api<T = Record<string, unknown>>(base: string, p: string, method = "GET", body?: unknown): Promise<{ status: number; json: T }> {
  const init: RequestInit = { method, headers: authHeaders() };
  if (body !== undefined) {
    init.headers = { ...authHeaders(), "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${base}/api/v1${p}`, init);
  return { status: res.status, json: (await res.json()) as T };
}

export async function createService(base: string, name: string): Promise<void> {
  const { status, json } = await api(base, "/services", "POST", { name });
  if (status !== 201 && status !== 200) throw new Error(`creating ${name}: ${status} ${JSON.stringify(json)}`);
}

export type Uploaded = { sentAt: number; sentWall: number; answeredAt: number; status: number; id: string };

/**
 * Uploads a raw zip (a buffer or a file streamed from disk). `sentAt` is the end
 * of the upload: the moment the client's request emitted "finish", i.e. the
 * whole body had been handed to the kernel's socket (the req.end() callback).
 */
export function upload(port: number, service: string, body: Buffer | string, onSent?: () => void): Promise<Uploaded> {
  const length = typeof body === "string" ? fs.statSync(body).size : body.length;
  return new Promise((resolve, reject) => {
    let sentAt = Number.NaN;
    let sentWall = Number.NaN;
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path: `/api/v1/services/${service}/environments/production/deployments`,
        headers: { ...authHeaders(), "content-type": "application/zip", "content-length": String(length) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => { text += c; });
        res.on("end", () => {
          const answeredAt = now();
          if (res.statusCode !== 202) return reject(new Error(`upload answered ${res.statusCode}: ${text}`));
          resolve({ sentAt, sentWall, answeredAt, status: res.statusCode, id: (JSON.parse(text) as { id: string }).id });
        });
      },
    );
    req.on("error", reject);
    req.on("finish", () => {
      sentAt = now();
      sentWall = Date.now();
      onSent?.();
    });
    if (typeof body === "string") fs.createReadStream(body).on("error", reject).pipe(req);
    else req.end(body);
  });
}

/** Polls a deployment until it is live; throws on failure or after `timeoutMs`. */
export async function waitLive(base: string, id: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api<{ status: string; failure: unknown }>(base, `/deployments/${id}`);
    if (json.status === "live") return;
    if (["failed", "cancelled", "interrupted"].includes(json.status)) throw new Error(`deployment ${id} ${json.status}: ${JSON.stringify(json.failure)}`);
    if (Date.now() > deadline) throw new Error(`deployment ${id} still ${json.status} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

export type LogLine = { at: string; step: string; message: string };
export async function releaseLog(base: string, id: string): Promise<LogLine[]> {
  return (await api<{ lines: LogLine[] }>(base, `/deployments/${id}/log`)).json.lines;
}

/** VmRSS and VmHWM of a process, in KiB, from /proc/<pid>/status. */
export function procMemory(pid: number): { rssKiB: number; hwmKiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}
