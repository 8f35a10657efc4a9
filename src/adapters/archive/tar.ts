import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { EntryLedger } from "./ledger.ts";
import { fail, normalizeEntryPath, quote } from "./paths.ts";
import { translate } from "./translate.ts";
import type { ArchiveLimits, ArchiveSummary } from "./types.ts";
import { StagingWriter } from "./writer.ts";

// Bodies up to this size are buffered and queued on the writer, which writes
// several at once; bigger ones stream straight to disk to keep memory bounded.
const BUFFERED_BODY_BYTES = 1024 * 1024;
// The gunzipped stream holds tar framing besides file bodies: a 512-byte header
// per entry, padding, pax and long-name records, end blocks. Allow that much
// on top of the body limits, and no more, so padding cannot hide a gzip bomb.
const FRAMING_SLACK_BYTES = 1024 * 1024;
const FRAMING_BYTES_PER_ENTRY = 8 * 1024;

// tar-stream types body chunks as unknown; under Node they are Buffers.
type TarEntry = AsyncIterable<unknown> & { header: tar.Header };

type Sinks = {
  directory: (path: string) => Promise<void>;
  file: (path: string, size: number, body: AsyncIterable<Buffer>) => Promise<void>;
};

export async function inspectTarGz(file: string, limits: ArchiveLimits): Promise<ArchiveSummary> {
  const ledger = await walkTar(file, limits, null);
  return ledger.summary("tar.gz");
}

/**
 * Streams the archive once, validating each entry as it arrives and writing it
 * straight away; when anything fails, what was written is removed again.
 */
export async function extractTarGz(
  file: string,
  stagingDir: string,
  limits: ArchiveLimits,
): Promise<ArchiveSummary> {
  const writer = await StagingWriter.open(stagingDir);
  try {
    const ledger = await walkTar(file, limits, {
      directory: (path) => writer.ensureDir(path),
      file: async (path, size, body) => {
        if (size > BUFFERED_BODY_BYTES) return writer.writeStream(path, body);
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk);
        await writer.writeFile(path, Buffer.concat(chunks, size));
      },
    });
    await writer.finish();
    return ledger.summary("tar.gz");
  } catch (err) {
    await writer.discard();
    throw err;
  }
}

/**
 * One streaming pass over a tar.gz: every entry is checked as its header
 * arrives, and bodies go to the sinks (or are drained and counted when there
 * are none). Any failure tears down the whole stream at once, so a bomb stops
 * at the first chunk past a limit instead of after inflating all of it.
 */
async function walkTar(file: string, limits: ArchiveLimits, sinks: Sinks | null) {
  const { size } = await stat(file);
  const ledger = new EntryLedger(limits, size);
  const extract = tar.extract();
  const piping = pipeline(createReadStream(file), createGunzip(), streamGuard(ledger), extract);
  piping.catch(() => undefined); // awaited below; this only marks it handled
  try {
    for await (const entry of extract) await visit(entry, ledger, sinks);
    await piping;
  } catch (err) {
    extract.destroy();
    await piping.catch(() => undefined);
    throw translate(err, "tar.gz");
  }
  ledger.requireFiles();
  return ledger;
}

async function visit(entry: TarEntry, ledger: EntryLedger, sinks: Sinks | null): Promise<void> {
  const { header } = entry;
  const raw = header.name;
  const name = quote(raw);
  ledger.countEntry();
  if (header.type !== "file" && header.type !== "directory") {
    throw fail(
      "unsupported_entry",
      `Entry ${name} is ${describe(header)}; only regular files and directories are allowed.`,
    );
  }
  const { path, directorySyntax } = normalizeEntryPath(raw);
  if (header.type === "directory") {
    ledger.addDirectory(path, raw);
    if (sinks && path !== "") await sinks.directory(path);
    return;
  }
  if (directorySyntax) {
    throw fail("unsupported_entry", `Entry ${name} is a regular file with a directory name.`);
  }
  const size = header.size ?? 0;
  ledger.addFile(path, raw, size);
  const body = checkedBody(entry, size, name);
  if (sinks) await sinks.file(path, size, body);
  else for await (const _ of body); // drain: the bytes are counted as they pass
}

/** Yields a body's chunks, refusing one whose length differs from its header. */
async function* checkedBody(entry: TarEntry, size: number, name: string) {
  let seen = 0;
  for await (const item of entry) {
    const chunk = item as Buffer;
    seen += chunk.length;
    if (seen > size) break;
    yield chunk;
  }
  if (seen !== size) {
    throw fail("corrupt_archive", `Entry ${name} holds ${seen} bytes but declares ${size}.`);
  }
}

/** Counts gunzipped bytes before tar-stream buffers them, and stops the stream past a limit. */
function streamGuard(ledger: EntryLedger): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      const framing = FRAMING_SLACK_BYTES + ledger.entries * FRAMING_BYTES_PER_ENTRY;
      try {
        ledger.checkBytes(seen - framing, `judged on the ${seen} bytes of tar data read so far`);
      } catch (err) {
        done(err as Error);
        return;
      }
      done(null, chunk);
    },
  });
}

function describe(header: tar.Header): string {
  const target = quote(header.linkname ?? "");
  switch (header.type) {
    case "symlink":
      return `a symbolic link to ${target}`;
    case "link":
      return `a hard link to ${target}`;
    case "character-device":
      return "a character device";
    case "block-device":
      return "a block device";
    case "fifo":
      return "a fifo";
    case "contiguous-file":
      return "a contiguous file";
    default:
      return `an entry of unknown type ${quote(String(header.type))}`;
  }
}
