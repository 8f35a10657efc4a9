import { Readable } from "node:stream";
import Busboy from "busboy";
import { invalid } from "../../domain/errors.ts";
import type { Layout } from "../../services/core/layout.ts";
import {
  bodyTooLarge,
  type StoredBundle,
  storeBundle,
} from "../../services/releases/bundle-store.ts";

export type Upload = { bundle: StoredBundle; fields: Record<string, string> };

// room for the multipart boundaries and the small text fields around the file
const MULTIPART_SLACK = 64 * 1024;
const RAW_TYPES = [
  "application/zip",
  "application/gzip",
  "application/x-gzip",
  "application/octet-stream",
  "application/x-zip-compressed",
];

/**
 * Reads a bundle upload: multipart field `bundle` (plus text fields) or a raw zip/tar.gz
 * body. Refuses a declared Content-Length over the limit before reading a byte, and an
 * undeclared one as soon as the limit is passed.
 */
export async function receiveUpload(
  request: Request,
  layout: Layout,
  maxBytes: number,
  /** The Node request under `request` (a real server), read directly when not yet read. */
  incoming?: Readable | null,
): Promise<Upload> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  const multipart = type.startsWith("multipart/form-data");
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes + (multipart ? MULTIPART_SLACK : 0)) throw bodyTooLarge(maxBytes);
  // the Node stream as it is, without the round trip through a web stream and back
  const direct = incoming && !incoming.readableDidRead ? incoming : null;
  if (!direct && !request.body)
    throw invalid("bundle_missing", "Send the bundle as the request body.", "bundle");
  const body = direct ?? Readable.fromWeb(request.body as import("node:stream/web").ReadableStream);
  if (multipart) return receiveMultipart(request.headers, body, layout, maxBytes, request.signal);
  if (!RAW_TYPES.some((t) => type.startsWith(t))) {
    body.destroy();
    throw invalid(
      "unsupported_media_type",
      "Send the bundle as multipart/form-data (field `bundle`), application/zip or application/gzip.",
    );
  }
  return { bundle: await storeBundle(layout, body, maxBytes, request.signal), fields: {} };
}

function receiveMultipart(
  headers: Headers,
  body: Readable,
  layout: Layout,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Upload> {
  return new Promise((resolve, reject) => {
    // a client gone mid-upload: stop parsing; storeBundle removes its file on the same signal
    const aborted = () => {
      body.unpipe();
      body.destroy();
      reject(invalid("upload_aborted", "The upload was cut off before it ended."));
    };
    if (signal.aborted) return aborted();
    signal.addEventListener("abort", aborted, { once: true });
    let parser: Busboy.Busboy;
    try {
      parser = Busboy({
        headers: Object.fromEntries(headers),
        limits: { files: 1, fields: 20, fieldSize: 8 * 1024 },
      });
    } catch {
      reject(invalid("malformed_multipart", "The multipart body has no boundary."));
      return;
    }
    const fields: Record<string, string> = {};
    let stored: Promise<StoredBundle> | null = null;
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (name, stream) => {
      if (name !== "bundle" || stored) {
        stream.resume();
        return;
      }
      stored = storeBundle(layout, stream, maxBytes, signal);
      // a refused bundle answers at once; the rest of the request is not read
      stored.catch((err: unknown) => {
        body.unpipe(parser);
        reject(err);
      });
    });
    parser.on("error", () => {
      const malformed = invalid("malformed_multipart", "The multipart body is malformed.");
      // the bundle's own error (too large, not an archive) explains more than busboy's
      if (stored) stored.then(() => reject(malformed), reject);
      else reject(malformed);
    });
    parser.on("close", () => {
      if (!stored) {
        reject(invalid("bundle_missing", "The form has no file in field `bundle`.", "bundle"));
        return;
      }
      stored.then((bundle) => resolve({ bundle, fields }), reject);
    });
    body.on("error", reject);
    body.pipe(parser);
  });
}
