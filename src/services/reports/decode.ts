import zlib from "node:zlib";
import { invalid, tooLarge } from "../../domain/errors.ts";

const tooBig = (max: number) =>
  tooLarge("envelope_too_large", `A report body may be at most ${max} bytes once decompressed.`);

/** Decompresses a gzip or deflate body, refusing to grow it past `max` bytes. */
export function decodeBody(body: Buffer, encoding: string | undefined, max: number): Buffer {
  const enc = (encoding ?? "").trim().toLowerCase();
  if (!enc || enc === "identity") {
    if (body.length > max) throw tooBig(max);
    return body;
  }
  const opts = { maxOutputLength: max };
  try {
    if (enc === "gzip" || enc === "x-gzip") return zlib.gunzipSync(body, opts);
    if (enc === "deflate") {
      // "deflate" is zlib-wrapped by the standard, raw by some clients: accept both
      try {
        return zlib.inflateSync(body, opts);
      } catch (err) {
        if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw err;
        return zlib.inflateRawSync(body, opts);
      }
    }
    if (enc === "br") return zlib.brotliDecompressSync(body, opts);
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooBig(max);
    throw invalid("bad_encoding", `The body is not valid ${enc}.`);
  }
  throw invalid("unsupported_encoding", `Content-Encoding ${enc} is not supported.`);
}

/** Parses JSON, as a 400 when it is not. */
export function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString("utf8"));
  } catch {
    throw invalid("bad_json", "The body is not valid JSON.");
  }
}
