import { gzipSync } from "node:zlib";
import tar from "tar-stream";

/** Builds a well-formed tar.gz with tar-stream; headers are passed through as given. */
export async function tarGz(
  entries: { header: Partial<tar.Header> & { name: string }; data?: string | Uint8Array }[],
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { header, data } of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (data === undefined) pack.entry(header, done);
      else pack.entry(header, typeof data === "string" ? Buffer.from(data) : data, done);
    });
  }
  pack.finalize();
  await collected;
  return gzipSync(Buffer.concat(chunks));
}

/**
 * One raw 512-byte ustar header, for what tar-stream will not pack: pax
 * globals, sizes with no body behind them.
 */
export function tarHeader(options: { name: string; size?: number; typeflag?: string }): Buffer {
  const block = Buffer.alloc(512);
  block.write(options.name, 0, 100, "utf8");
  block.write("0000644\0", 100);
  block.write("0000000\0", 108);
  block.write("0000000\0", 116);
  block.write(`${(options.size ?? 0).toString(8).padStart(11, "0")}\0`, 124);
  block.write("00000000000\0", 136);
  block.write(options.typeflag ?? "0", 156);
  block.write("ustar\0", 257);
  block.write("00", 263);
  block.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return block;
}

/** A body padded to whole 512-byte blocks. */
export function tarBody(data: string | Uint8Array): Buffer {
  const body = Buffer.from(data);
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return padded;
}

/** The two zero blocks that end a tar. */
export const TAR_END = Buffer.alloc(1024);

/** A pax record ("LEN key=value\n"), where LEN counts the whole record. */
export function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = rest.length + 1;
  while (`${length}${rest}`.length !== length) length += 1;
  return `${length}${rest}`;
}
