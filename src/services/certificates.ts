import fs from "node:fs";
import type { Deps } from "./deps.ts";

/** The certificate files of a hostname, when one has been issued and is on disk. */
export function certificateFor(
  deps: Deps,
  hostname: string,
): { fullchain: string; key: string } | null {
  const files = deps.layout.cert(hostname);
  return fs.existsSync(files.fullchain) && fs.existsSync(files.key) ? files : null;
}
