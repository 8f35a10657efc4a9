import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import zlib from "node:zlib";
import tar from "tar-stream";
import { loadIgnore } from "./ignore.ts";

export type PackedFile = { rel: string; abs: string; size: number; mode: number };

/** The files of a folder to deploy (sorted, .berthignore applied, symlinks left out). */
export function listFiles(dir: string): PackedFile[] {
  const ignore = loadIgnore(dir);
  const out: PackedFile[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (ignore(r, e.isDirectory())) continue;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) {
        const st = fs.statSync(path.join(dir, r));
        out.push({ rel: r, abs: path.join(dir, r), size: st.size, mode: st.mode & 0o755 });
      }
    }
  };
  walk("");
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/**
 * A tar.gz of the files, produced as it is read: each file is read from disk only when
 * the upload has room for it. `onFile` reports the bytes of files packed so far.
 */
export function packStream(files: PackedFile[], onFile?: (packed: number) => void): Readable {
  const pack = tar.pack();
  let packed = 0;
  (async () => {
    for (const f of files) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry(
          { name: f.rel, size: f.size, mode: f.mode | 0o644, mtime: new Date(0) },
          (err) => (err ? reject(err) : resolve()),
        );
        fs.createReadStream(f.abs).on("error", reject).pipe(entry);
      });
      packed += f.size;
      onFile?.(packed);
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack.pipe(zlib.createGzip());
}
