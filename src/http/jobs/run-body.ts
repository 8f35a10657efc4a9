import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Busboy from "busboy";
import { invalid, tooLarge, unprocessable } from "../../domain/errors.ts";
import type { UploadedFile } from "../../services/jobs/runs.ts";

export type RunBody = {
  args: Record<string, unknown>;
  files: Record<string, UploadedFile>;
  runAt?: string;
  delaySeconds?: number;
  /** The temporary directory of the files; removed by the caller once they moved. */
  tmp: string | null;
};

const JSON_MAX = 1024 * 1024;
const RESERVED = new Set(["args", "runAt", "delaySeconds", "_csrf"]);

/**
 * A run request: JSON `{args, runAt?, delaySeconds?}`, or multipart with a file per file
 * parameter (field = parameter name), text fields as arguments and an optional `args`
 * field of JSON. A file past the limit is a 422 naming it.
 */
export async function readRunBody(req: Request, maxFileBytes: number): Promise<RunBody> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) return readMultipart(req, maxFileBytes);
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > JSON_MAX) throw tooLarge("body_too_large", "The request body is too large.");
  const text = req.body ? await req.text() : "";
  if (text.length > JSON_MAX) throw tooLarge("body_too_large", "The request body is too large.");
  let body: unknown = {};
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      throw invalid("malformed_json", "The body is not JSON.");
    }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalid("malformed_json", "The body must be a JSON object.");
  const b = body as Record<string, unknown>;
  const args = b.args ?? {};
  if (typeof args !== "object" || args === null || Array.isArray(args))
    throw unprocessable("invalid_args", "args must be an object.", "args");
  if (b.runAt !== undefined && typeof b.runAt !== "string")
    throw unprocessable("invalid_run_at", "runAt must be an ISO 8601 time.", "runAt");
  if (b.delaySeconds !== undefined && typeof b.delaySeconds !== "number")
    throw unprocessable("invalid_delay", "delaySeconds must be a number.", "delaySeconds");
  return {
    args: args as Record<string, unknown>,
    files: {},
    runAt: b.runAt as string | undefined,
    delaySeconds: b.delaySeconds as number | undefined,
    tmp: null,
  };
}

function readMultipart(req: Request, maxFileBytes: number): Promise<RunBody> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-run-"));
  const out: RunBody = { args: {}, files: {}, tmp };
  const fail = (err: unknown) => {
    fs.rmSync(tmp, { recursive: true, force: true });
    return err;
  };
  return new Promise((resolve, reject) => {
    let parser: Busboy.Busboy;
    try {
      parser = Busboy({
        headers: Object.fromEntries(req.headers),
        limits: { files: 20, fields: 200, fieldSize: 64 * 1024, fileSize: maxFileBytes + 1 },
      });
    } catch {
      reject(fail(invalid("malformed_multipart", "The multipart body has no boundary.")));
      return;
    }
    const writes: Promise<void>[] = [];
    let error: unknown = null;
    parser.on("field", (name, value) => {
      if (name === "args") {
        try {
          Object.assign(out.args, JSON.parse(value));
        } catch {
          error ??= unprocessable("invalid_args", "The args field is not JSON.", "args");
        }
      } else if (name === "runAt") out.runAt = value || undefined;
      else if (name === "delaySeconds") out.delaySeconds = value === "" ? undefined : Number(value);
      else if (!RESERVED.has(name)) out.args[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      const param = name.replace(/^files\./, "");
      const filename = info.filename;
      if (!filename) {
        stream.resume();
        return;
      }
      const dest = path.join(tmp, `${Object.keys(out.files).length}-${param}`);
      let size = 0;
      stream.on("data", (b: Buffer) => {
        size += b.length;
      });
      writes.push(
        pipeline(stream, fs.createWriteStream(dest)).then(() => {
          if ((stream as unknown as { truncated?: boolean }).truncated || size > maxFileBytes) {
            error ??= unprocessable(
              "file_too_large",
              `${param}: over ${maxFileBytes} bytes.`,
              `files.${param}`,
            );
            return;
          }
          out.files[param] = { name: filename, size, path: dest };
        }),
      );
    });
    parser.on("error", () => {
      reject(fail(invalid("malformed_multipart", "The multipart body is malformed.")));
    });
    parser.on("close", () => {
      Promise.all(writes).then(
        () => (error ? reject(fail(error)) : resolve(out)),
        (err) => reject(fail(err)),
      );
    });
    if (!req.body) {
      reject(fail(invalid("malformed_multipart", "The body is empty.")));
      return;
    }
    Readable.fromWeb(req.body as import("node:stream/web").ReadableStream).pipe(parser);
  });
}
