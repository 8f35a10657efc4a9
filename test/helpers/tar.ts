import { gzipSync } from "node:zlib";
import tar from "tar-stream";

/** A tar.gz made in memory from { path: content }. */
export async function makeTarGz(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, type: "file" }, Buffer.isBuffer(content) ? content : Buffer.from(content));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}
