import { readFile } from "node:fs/promises";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { crc32, inflateRawSync } from "node:zlib";
import AdmZip from "adm-zip";
import { EntryLedger } from "./ledger.ts";
import { fail, normalizeEntryPath, quote } from "./paths.ts";
import type { ArchiveLimits, ArchiveSummary } from "./types.ts";
import { StagingWriter } from "./writer.ts";

const STORED = 0;
const DEFLATED = 8;
const FLAG_ENCRYPTED = 0x1;
// Unix st_mode file types, found in the upper 16 bits of the external attributes.
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
// Inflated bodies kept from validation so extraction need not inflate twice;
// anything past this is inflated again when written.
const RETAIN_BUDGET_BYTES = 64 * 1024 * 1024;
const YIELD_EVERY_BYTES = 4 * 1024 * 1024;
const MIN_CHUNK_BYTES = 1024;
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

type ZipItem = {
  entry: AdmZip.IZipEntry;
  raw: string;
  path: string;
  directory: boolean;
  data: Buffer | null;
};

type ZipPlan = { ledger: EntryLedger; items: ZipItem[] };

export async function inspectZip(file: string, limits: ArchiveLimits): Promise<ArchiveSummary> {
  const plan = await planZip(file, limits, false);
  return plan.ledger.summary("zip");
}

export async function extractZip(
  file: string,
  stagingDir: string,
  limits: ArchiveLimits,
): Promise<ArchiveSummary> {
  const plan = await planZip(file, limits, true);
  const writer = await StagingWriter.open(stagingDir);
  try {
    for (const item of plan.items) {
      if (item.directory) {
        await writer.ensureDir(item.path);
        continue;
      }
      const data = item.data ?? inflateEntry(item);
      item.data = null;
      await writer.writeFile(item.path, data);
    }
    await writer.finish();
  } catch (err) {
    await writer.settle();
    throw err;
  }
  return plan.ledger.summary("zip");
}

/**
 * Validates every entry of a zip, and inflates and checks every body, without
 * writing anything. Header checks (names, types, declared sizes) run over the
 * whole central directory first, so most hostile archives are refused before a
 * single byte is inflated.
 */
async function planZip(file: string, limits: ArchiveLimits, retain: boolean): Promise<ZipPlan> {
  const archive = await readFile(file);
  const ledger = new EntryLedger(limits, archive.length);
  const zip = openZip(archive);
  // the end record's count, read before adm-zip parses a possibly huge directory
  ledger.checkEntryCount(zip.getEntryCount());

  const items: ZipItem[] = [];
  for (const entry of readEntries(zip)) {
    ledger.countEntry();
    items.push(classify(entry, ledger));
  }
  ledger.requireFiles();

  let retained = 0;
  let sinceYield = 0;
  for (const item of items) {
    if (item.directory) continue;
    const data = inflateEntry(item);
    // a stored body is a view into the archive buffer and costs nothing to keep
    const cost = item.entry.header.method === STORED ? 0 : data.length;
    if (retain && retained + cost <= RETAIN_BUDGET_BYTES) {
      item.data = data;
      retained += cost;
    }
    sinceYield += data.length;
    if (sinceYield >= YIELD_EVERY_BYTES) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  return { ledger, items };
}

function openZip(archive: Buffer): AdmZip {
  try {
    // noSort keeps central-directory order; adm-zip would otherwise sort by name
    return new AdmZip(archive, { noSort: true, readEntries: false });
  } catch (err) {
    throw fail("corrupt_archive", `The zip archive is corrupt or truncated (${reason(err)}).`);
  }
}

function readEntries(zip: AdmZip): AdmZip.IZipEntry[] {
  try {
    return zip.getEntries();
  } catch (err) {
    // adm-zip refuses repeated raw names itself, before we see the entries
    const repeated = /Duplicate entry name (.*)$/.exec(reason(err));
    if (repeated) {
      throw fail("duplicate_entry", `The archive has two entries named ${repeated[1]}.`);
    }
    throw fail("corrupt_archive", `The zip central directory is corrupt (${reason(err)}).`);
  }
}

function classify(entry: AdmZip.IZipEntry, ledger: EntryLedger): ZipItem {
  const header = entry.header;
  // adm-zip leaves rawEntryName untouched; decode it ourselves to see the real name
  const raw = entry.rawEntryName.toString("utf8");
  const name = quote(raw);
  const { path, directorySyntax } = normalizeEntryPath(raw);

  // Judged whatever the "made by" host says: 7-Zip on Windows stores unix modes
  // under host 0, and a symlink is never something a static bundle needs.
  const type = (header.attr >>> 16) & S_IFMT;
  if (type === S_IFLNK) throw fail("unsupported_entry", `Entry ${name} is a symbolic link.`);
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    throw fail("unsupported_entry", `Entry ${name} is a device, fifo or socket, not a file.`);
  }

  const directory = directorySyntax || type === S_IFDIR;
  if (directory) {
    if (header.size > 0) throw fail("unsupported_entry", `Directory entry ${name} carries data.`);
    ledger.addDirectory(path, raw);
  } else {
    if (header.flags & FLAG_ENCRYPTED) {
      throw fail("unsupported_entry", `Entry ${name} is encrypted.`);
    }
    if (header.method !== STORED && header.method !== DEFLATED) {
      throw fail(
        "unsupported_entry",
        `Entry ${name} uses compression method ${header.method}; only stored and deflate are supported.`,
      );
    }
    ledger.addFile(path, raw, header.size);
  }
  return { entry, raw, path, directory, data: null };
}

/**
 * Returns an entry's bytes, proven against the central directory's size and
 * CRC. Inflation is capped at the declared size, so an entry that lies about
 * its size cannot make us allocate more than the limits already allowed.
 */
function inflateEntry(item: ZipItem): Buffer {
  const { header } = item.entry;
  const name = quote(item.raw);
  const declared = header.size;

  let compressed: Buffer;
  try {
    compressed = item.entry.getCompressedData();
  } catch (err) {
    throw fail("corrupt_archive", `Entry ${name} is corrupt or truncated (${reason(err)}).`);
  }

  let data: Buffer;
  if (header.method === STORED || (declared === 0 && compressed.length === 0)) {
    data = compressed;
  } else {
    try {
      data = inflateRawSync(compressed, {
        maxOutputLength: Math.max(declared, 1),
        // one output buffer of the right size, instead of 16 KiB chunks concatenated
        chunkSize: Math.min(Math.max(declared + 1, MIN_CHUNK_BYTES), MAX_CHUNK_BYTES),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw fail(
          "compression_ratio_exceeded",
          `Entry ${name} inflates to more than the ${declared} bytes it declares; refusing a likely zip bomb.`,
        );
      }
      throw fail("corrupt_archive", `Entry ${name} does not inflate (${reason(err)}).`);
    }
  }

  if (data.length !== declared) {
    throw fail(
      "corrupt_archive",
      `Entry ${name} holds ${data.length} bytes but declares ${declared}; the archive is corrupt.`,
    );
  }
  if (crc32(data) !== header.crc) {
    throw fail("corrupt_archive", `Entry ${name} fails its CRC check; the archive is corrupt.`);
  }
  return data;
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));
