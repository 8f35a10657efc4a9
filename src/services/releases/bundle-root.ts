import fs from "node:fs/promises";
import path from "node:path";
import { unprocessable } from "../../domain/errors.ts";

/**
 * What sits at the top of an extracted bundle: whether it has an index.html, and the name
 * of its one folder when a folder is all it holds (a zip of a folder, not of its contents).
 */
export async function bundleTop(dir: string): Promise<{ index: boolean; folder: string | null }> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const index = entries.some((e) => e.name === "index.html" && e.isFile());
  const only = entries.length === 1 ? entries[0] : undefined;
  return { index, folder: only?.isDirectory() ? only.name : null };
}

/** The message that a bundle's one folder holds the site, and how to deploy it. */
export function folderMessage(folder: string): string {
  return (
    `The bundle holds one folder, ${folder}/, and no index.html at its root, so / would answer 404. ` +
    `Deploy it again with "Use the folder as the root" (API: stripFolder=true), or zip the folder's contents.`
  );
}

/**
 * Moves the release into place: the extracted staging directory, or with `stripFolder`
 * its one folder. A bundle that is one folder without an index.html at its root is refused
 * before it goes live; the returned note says which folder was used, if any.
 */
export async function placeRelease(
  staging: string,
  release: string,
  stripFolder: boolean,
): Promise<string | null> {
  const top = await bundleTop(staging);
  if (stripFolder) {
    if (!top.folder) {
      throw unprocessable(
        "no_single_folder",
        "Use the folder as the root was asked, but the bundle does not hold exactly one folder.",
      );
    }
    await fs.rename(path.join(staging, top.folder), release);
    await fs.rm(staging, { recursive: true, force: true });
    return `Using the bundle's folder ${top.folder}/ as the site's root.`;
  }
  if (!top.index && top.folder) throw unprocessable("bundle_in_folder", folderMessage(top.folder));
  await fs.rename(staging, release);
  return null;
}
