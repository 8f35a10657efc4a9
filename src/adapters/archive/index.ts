import { open } from "node:fs/promises";
import type { BundleFormat } from "../../domain/releases/deployment.ts";
import { fail } from "./paths.ts";
import { extractTarGz, inspectTarGz } from "./tar.ts";
import type { ArchiveLimits, ArchiveSummary } from "./types.ts";
import { extractZip, inspectZip } from "./zip.ts";

/**
 * Validates and extracts deployment bundles. Bundles are user uploads and are
 * treated as hostile: every entry is checked (names, types, duplicates, sizes,
 * CRCs, compression ratio), and failures are DomainErrors (kind
 * "unprocessable") whose code says what was wrong. The archive is streamed,
 * never held in memory, and inflated by zlib streams off the event loop.
 */
export type { ArchiveErrorCode, ArchiveLimits, ArchiveSummary } from "./types.ts";

export function detectFormat(head: Uint8Array): BundleFormat | null {
  if (head[0] === 0x50 && head[1] === 0x4b) {
    // a local file header, or the end record alone for an empty zip
    if (head[2] === 0x03 && head[3] === 0x04) return "zip";
    if (head[2] === 0x05 && head[3] === 0x06) return "zip";
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return "tar.gz";
  return null;
}

/** Validates the whole archive without writing anything. */
export async function inspectArchive(
  file: string,
  format: BundleFormat,
  limits: ArchiveLimits,
): Promise<ArchiveSummary> {
  await requireFormat(file, format);
  return format === "zip" ? inspectZip(file, limits) : inspectTarGz(file, limits);
}

/**
 * Validates the archive while writing it under stagingDir (created if missing),
 * inflating each body once; limits hold on the bytes as they are produced. On
 * any failure, everything it wrote (and stagingDir, if it created it) is
 * removed before it rejects, so a refused bundle leaves nothing behind.
 */
export async function extractArchive(
  file: string,
  format: BundleFormat,
  stagingDir: string,
  limits: ArchiveLimits,
): Promise<ArchiveSummary> {
  await requireFormat(file, format);
  return format === "zip"
    ? extractZip(file, stagingDir, limits)
    : extractTarGz(file, stagingDir, limits);
}

async function requireFormat(file: string, format: BundleFormat): Promise<void> {
  const head = new Uint8Array(4);
  const handle = await open(file, "r");
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const detected = detectFormat(head);
  if (detected === null) {
    throw fail("unsupported_archive", "The upload is neither a zip nor a gzip-compressed tar.");
  }
  if (detected !== format) {
    throw fail("unsupported_archive", `The upload was sent as ${format} but is a ${detected}.`);
  }
}
