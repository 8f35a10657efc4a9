import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { detectFormat } from "../../adapters/archive/index.ts";
import { tooLarge, unprocessable } from "../../domain/errors.ts";
import type { BundleFormat } from "../../domain/releases/deployment.ts";
import type { Layout } from "../core/layout.ts";

export type StoredBundle = { sha256: string; format: BundleFormat; bytes: number; path: string };

export function bodyTooLarge(limit: number) {
  return tooLarge(
    "bundle_too_large",
    `The bundle is larger than the limit of ${limit} bytes (BERTH_MAX_BUNDLE_BYTES).`,
  );
}

/**
 * Streams an upload to a temp file under tmp/uploads while hashing it, refusing it as
 * soon as it passes the size limit. The caller validates it, then files it with
 * `fileBundle`, or drops it with `discardUpload`; nothing else is written.
 */
export async function storeBundle(
  layout: Layout,
  body: Readable,
  maxBytes: number,
  /** The request's: a client that goes away mid-upload leaves no file and no descriptor. */
  signal?: AbortSignal,
): Promise<StoredBundle> {
  await fs.mkdir(layout.uploadsDir, { recursive: true });
  const tmp = path.join(layout.uploadsDir, `${Date.now()}-${randomBytes(8).toString("hex")}`);
  const hash = createHash("sha256");
  let bytes = 0;
  let head = Buffer.alloc(0);
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(bodyTooLarge(maxBytes));
      if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8)]);
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, meter, createWriteStream(tmp, { flags: "wx", mode: 0o600 }), { signal });
    const format = detectFormat(head);
    if (!format) {
      throw unprocessable(
        bytes === 0 ? "empty_upload" : "unsupported_archive",
        bytes === 0
          ? "The upload is empty: send a zip or tar.gz bundle."
          : "The bundle is neither a zip nor a tar.gz archive.",
        "bundle",
      );
    }
    return { sha256: hash.digest("hex"), format, bytes, path: tmp };
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Moves a validated bundle to its content-addressed place (a no-op when already there). */
export async function fileBundle(layout: Layout, bundle: StoredBundle): Promise<StoredBundle> {
  const final = layout.bundle(bundle.sha256, bundle.format);
  if (bundle.path === final) return bundle;
  await fs.mkdir(path.dirname(final), { recursive: true });
  await fs.rename(bundle.path, final);
  return { ...bundle, path: final };
}

/** Removes an upload that was refused; a filed bundle is not touched. */
export async function discardUpload(layout: Layout, bundle: StoredBundle): Promise<void> {
  if (path.dirname(bundle.path) === layout.uploadsDir) await fs.rm(bundle.path, { force: true });
}
