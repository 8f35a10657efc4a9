import path from "node:path";
import { unprocessable } from "../../domain/errors.ts";
import { validateRef } from "./ref.ts";
import { parseRepoUrl, type RepoKind } from "./url.ts";

export type CloneSpec = { url: string; ref: string; dir: string; depth?: number };

/**
 * `git` with settings that hold whatever the user's or the system's git config says (the
 * runner also sets GIT_CONFIG_GLOBAL=/dev/null and GIT_CONFIG_NOSYSTEM=1): only the one
 * transport the URL names is allowed (so no redirect or submodule reaches another one, and
 * never ext::), no hooks, no detached-HEAD advice in the log.
 */
export function gitPrefix(kind: RepoKind, dir: string): string[] {
  return [
    "git",
    "-c",
    "protocol.allow=never",
    "-c",
    `protocol.${kind}.allow=always`,
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "advice.detachedHead=false",
    "-c",
    "init.defaultBranch=berth",
    "-C",
    dir,
  ];
}

/**
 * The steps of a shallow checkout of exactly one ref or commit into `dir` (which must
 * exist and be empty): init, add the remote, fetch that one ref at the given depth, check
 * out what was fetched. Fetching instead of cloning is what lets a full commit id work as
 * well as a branch or tag. User values always come after `--`, and are validated first
 * (this throws before anything runs). FETCH_HEAD after `checkout --detach` is Berth's
 * own constant; the trailing `--` there says it is a revision, not a path.
 */
export function cloneArgv(spec: CloneSpec): string[][] {
  const repo = parseRepoUrl(spec.url);
  const ref = validateRef(spec.ref);
  const depth = spec.depth ?? 1;
  if (!Number.isInteger(depth) || depth < 1) {
    throw unprocessable("invalid_depth", "The fetch depth must be a whole number of at least 1.");
  }
  if (!path.isAbsolute(spec.dir)) throw new Error(`the work tree must be absolute: ${spec.dir}`);
  const git = gitPrefix(repo.kind, spec.dir);
  return [
    [...git, "init", "--quiet", "--template="],
    [...git, "remote", "add", "--", "origin", repo.url],
    [
      ...git,
      "fetch",
      "--no-tags",
      "--no-recurse-submodules",
      `--depth=${depth}`,
      "--",
      "origin",
      ref,
    ],
    [...git, "checkout", "--quiet", "--detach", "FETCH_HEAD", "--"],
  ];
}

/** NUL-separated: commit id, "Name <email>", the full message. */
export const LOG_FORMAT = "%H%x00%an <%ae>%x00%B";

/** What was checked out, read back from the work tree. */
export function headArgv(kind: RepoKind, dir: string): string[] {
  return [
    ...gitPrefix(kind, dir),
    "log",
    "-1",
    "--no-color",
    `--format=${LOG_FORMAT}`,
    "HEAD",
    "--",
  ];
}
