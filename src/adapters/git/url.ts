import { unprocessable } from "../../domain/errors.ts";

/** The transport, which is also the name git's `protocol.<name>.allow` uses for it. */
export type RepoKind = "https" | "ssh" | "file";

export type RepoUrl = {
  kind: RepoKind;
  /** What git is given: the URL exactly as accepted. */
  url: string;
  /** For https and ssh; null for local repositories. */
  host: string | null;
};

const MAX_URL = 2048;
const SCP_LIKE = /^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(.+)$/;
const HELPER_SYNTAX = /^[A-Za-z][A-Za-z0-9+.-]*::/; // "ext::sh -c ...", "fd::3"

const refuse = (why: string) =>
  unprocessable("invalid_repository", `The repository URL ${why}.`, "repoUrl");

const hasDotDot = (path: string) => path.split("/").includes("..");

/**
 * Accepts the repository addresses Berth builds from and refuses everything else before
 * git sees it: https://host/owner/repo(.git) (no credentials in the URL: a token is
 * stored apart), ssh://[user@]host[:port]/path, user@host:path (scp-like), file:///abs/path
 * and /abs/path. Other schemes (http, git, ext:: helpers), option-like values, whitespace,
 * control characters, ".." segments, queries and fragments are refused.
 */
export function parseRepoUrl(input: string): RepoUrl {
  if (input === "") throw refuse("is required");
  if (input.length > MAX_URL) throw refuse(`is longer than ${MAX_URL} characters`);
  if (/[\s\p{Cc}]/u.test(input)) throw refuse("must not contain spaces or control characters");
  if (input.startsWith("-")) throw refuse("must not start with '-'");
  if (HELPER_SYNTAX.test(input)) throw refuse("must not name a git remote helper (<helper>::)");
  if (/[?#]/.test(input)) throw refuse("must not have a query or a fragment");
  if (input.startsWith("/")) {
    if (hasDotDot(input)) throw refuse("must not contain '..'");
    return { kind: "file", url: input, host: null };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(input)?.[1]?.toLowerCase();
  if (scheme !== undefined) return parseWithScheme(scheme, input);
  const scp = SCP_LIKE.exec(input);
  if (scp) {
    const path = scp[3] ?? "";
    if (path.startsWith("-") || hasDotDot(path)) throw refuse("has an unusable path");
    return { kind: "ssh", url: input, host: scp[2] ?? null };
  }
  throw refuse(
    "must be https://host/owner/repo, ssh://git@host/owner/repo.git, git@host:owner/repo.git, file:///path or an absolute path",
  );
}

function parseWithScheme(scheme: string, input: string): RepoUrl {
  if (scheme !== "https" && scheme !== "ssh" && scheme !== "file") {
    const hint = scheme === "http" ? " (use https)" : "";
    throw refuse(`uses the unsupported scheme "${scheme}"${hint}`);
  }
  if (hasDotDot(input)) throw refuse("must not contain '..'");
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refuse("is not a valid URL");
  }
  if (url.password !== "") throw refuse("must not contain a password (store a token instead)");
  if (scheme === "file") {
    if (url.host !== "") throw refuse("must be file:///absolute/path (no host)");
    if (url.pathname === "/" || url.pathname === "") throw refuse("has no path");
    return { kind: "file", url: input, host: null };
  }
  if (url.hostname === "" || url.hostname.startsWith("-")) throw refuse("has no usable host");
  if (url.pathname.split("/").filter(Boolean).length === 0) throw refuse("has no repository path");
  if (scheme === "https") {
    if (url.username !== "") throw refuse("must not contain a user name (store a token instead)");
    return { kind: "https", url: input, host: url.host };
  }
  return { kind: "ssh", url: input, host: url.host };
}
