import type { BundleFormat } from "../../domain/releases/deployment.ts";
import { fail, isDomainError } from "./paths.ts";
import { StagingError } from "./writer.ts";

/**
 * Any error out of a pass over an archive, as the caller should see it: our own
 * refusals and failures of the disk or the staging directory stay as they are;
 * everything else (zlib, yauzl, tar-stream) means the archive is broken.
 */
export function translate(err: unknown, format: BundleFormat): unknown {
  if (isDomainError(err) || err instanceof StagingError) return err;
  // I/O failures (unreadable upload, full disk, a name already there) are ours
  if (err instanceof Error && "syscall" in err) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return fail("corrupt_archive", `The ${format} archive is corrupt or truncated (${reason}).`);
}
