import { open } from "node:fs/promises";
import type { BundleFormat } from "../../domain/deployment.ts";
import { fail } from "./paths.ts";
import { extractTarGz, inspectTarGz } from "./tar.ts";
import type { ArchiveLimits, ArchiveSummary } from "./types.ts";
import { extractZip, inspectZip } from "./zip.ts";

/**
 * Validates and extracts deployment bundles. Bundles are user uploads and are
 * treated as hostile: every entry is checked (names, types, duplicates, sizes,
 * CRCs, compression ratio) before the first byte is written, and failures are
 * DomainErrors (kind "unprocessable") whose code says what was wrong.
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
 * Validates the whole archive, then writes it under stagingDir (created if
 * missing). Safe to call without inspectArchive first. On failure the caller
 * should discard stagingDir: nothing is written when validation fails, but an
 * I/O error midway can leave part of the bundle there.
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
