import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { ArchiveLimits } from "../../src/adapters/archive/index.ts";
import { extractArchive, inspectArchive } from "../../src/adapters/archive/index.ts";
import { DomainError } from "../../src/domain/errors.ts";
import type { BundleFormat } from "../../src/domain/releases/deployment.ts";

export const LIMITS: ArchiveLimits = {
  maxEntries: 1000,
  maxUncompressedBytes: 50 * 1024 * 1024,
  maxCompressionRatio: 100,
};

/**
 * A temp directory holding one archive and, two levels down, the staging
 * directory, so an entry escaping through "../" or "../../" would land
 * somewhere `everything()` sees.
 */
export class Sandbox {
  readonly root = mkdtempSync(join(tmpdir(), "berth-archive-"));
  readonly staging = join(this.root, "stage", "site");

  write(name: string, bytes: Uint8Array): string {
    const file = join(this.root, name);
    writeFileSync(file, bytes);
    return file;
  }

  /** Every path under the sandbox, relative and sorted. */
  everything(): string[] {
    return (readdirSync(this.root, { recursive: true }) as string[]).sort();
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Asserts that both inspectArchive and extractArchive refuse the archive with
 * `code`, and that nothing but the archive itself exists afterwards.
 */
export async function expectRefused(
  sandbox: Sandbox,
  bytes: Uint8Array,
  format: BundleFormat,
  code: string,
  limits: ArchiveLimits = LIMITS,
): Promise<DomainError> {
  const name = format === "zip" ? "bundle.zip" : "bundle.tar.gz";
  const file = sandbox.write(name, bytes);
  const inspected = await caught(inspectArchive(file, format, limits));
  const extracted = await caught(extractArchive(file, format, sandbox.staging, limits));
  for (const error of [inspected, extracted]) {
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: "unprocessable", code });
  }
  expect(sandbox.everything()).toEqual([name]);
  return extracted as DomainError;
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}
