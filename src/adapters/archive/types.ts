import type { BundleFormat } from "../../domain/releases/deployment.ts";

export type ArchiveLimits = {
  maxEntries: number;
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
};

export type ArchiveSummary = { format: BundleFormat; fileCount: number; totalBytes: number };

/** The `code` of every DomainError this adapter throws. */
export type ArchiveErrorCode =
  | "unsupported_archive"
  | "corrupt_archive"
  | "empty_archive"
  | "unsafe_path"
  | "unsupported_entry"
  | "duplicate_entry"
  | "too_many_entries"
  | "too_large_uncompressed"
  | "compression_ratio_exceeded";
