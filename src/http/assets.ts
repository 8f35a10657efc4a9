import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";

const require = createRequire(import.meta.url);
const htmxDir = path.dirname(require.resolve("htmx.org/dist/htmx.min.js"));
const swaggerDir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
const publicDir = path.resolve(import.meta.dirname, "../../public");

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml; charset=utf-8",
};

/** Files of other packages served under /assets/ (the rest come from public/). */
const vendored: Record<string, string> = {
  "htmx.min.js": path.join(htmxDir, "htmx.min.js"),
  "hx-sse.min.js": path.join(htmxDir, "ext", "hx-sse.min.js"),
  "swagger-ui.css": path.join(swaggerDir, "swagger-ui.css"),
  "swagger-ui-bundle.js": path.join(swaggerDir, "swagger-ui-bundle.js"),
};

/** The file behind /assets/<name>, or null for a name that is not an asset. */
export function assetFile(name: string): string | null {
  const file = vendored[name] ?? (/^[\w.-]+$/.test(name) ? path.join(publicDir, name) : null);
  return file && fs.existsSync(file) ? file : null;
}

export const assetType = (file: string) => TYPES[path.extname(file)] ?? "application/octet-stream";

let version: string | undefined;
/**
 * A hash of every asset's bytes: pages link `/assets/x?v=<version>`, so a release that
 * changes an asset changes its URL and the files can be cached for a year.
 */
export function assetVersion(): string {
  if (version) return version;
  const hash = createHash("sha256");
  const names = [...Object.keys(vendored), ...fs.readdirSync(publicDir)].sort();
  for (const name of names) {
    const file = assetFile(name);
    if (file) hash.update(name).update(fs.readFileSync(file));
  }
  version = hash.digest("hex").slice(0, 12);
  return version;
}

export type Encoding = "br" | "gzip" | "identity";

/** The best encoding the client takes: brotli, then gzip. */
export function pickEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = (acceptEncoding ?? "")
    .split(",")
    .map((p) => p.trim().split(";"))
    .filter(([, q]) => !q || !/^q=0(\.0*)?$/.test(q.trim()))
    .map(([name]) => name?.trim().toLowerCase());
  if (accepted.includes("br")) return "br";
  if (accepted.includes("gzip")) return "gzip";
  return "identity";
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
// compressed once, at first use, and kept: the files only change with a new release
const cache = new Map<string, Promise<Buffer>>();

/** The asset's bytes in the encoding asked for (compressed once, then from memory). */
export function assetBytes(file: string, encoding: Encoding): Promise<Buffer> {
  const key = `${encoding}:${file}`;
  let bytes = cache.get(key);
  if (!bytes) {
    const raw = fs.promises.readFile(file);
    bytes =
      encoding === "br"
        ? raw.then((b) =>
            brotli(b, {
              params: {
                // the best ratio for small files; 1.7 MB of Swagger UI takes 8 s at 11 and
                // 0.13 s at 5, for 12 % more bytes
                [zlib.constants.BROTLI_PARAM_QUALITY]: b.length > 200_000 ? 5 : 11,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length,
              },
            }),
          )
        : encoding === "gzip"
          ? raw.then((b) => gzip(b, { level: 9 }))
          : raw;
    bytes.catch(() => cache.delete(key));
    cache.set(key, bytes);
  }
  return bytes;
}
