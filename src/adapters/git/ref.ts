import { unprocessable } from "../../domain/errors.ts";

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** A full commit id (SHA-1 or SHA-256), which a build can fetch instead of a branch or tag. */
export const isCommitSha = (ref: string) => FULL_SHA.test(ref);

const refuse = (ref: string, why: string) =>
  unprocessable("invalid_ref", `"${ref}" is not a usable branch, tag or commit: ${why}.`, "ref");

/**
 * A branch, tag (short or under refs/) or full commit id, checked with git's own
 * check-ref-format rules plus one of Berth's: never a leading '-', so a ref can never be
 * read as an option (`--upload-pack=...`), even where `--` is not possible.
 */
export function validateRef(ref: string): string {
  if (ref === "") throw refuse(ref, "it is empty");
  if (ref.length > 255) throw refuse(ref, "it is longer than 255 characters");
  if (ref.startsWith("-")) throw refuse(ref, "it starts with '-'");
  if (/[\s\p{Cc}~^:?*[\\]/u.test(ref)) {
    throw refuse(ref, "it contains a space, a control character or one of ~ ^ : ? * [ \\");
  }
  if (ref.includes("..") || ref.includes("@{") || ref === "@") {
    throw refuse(ref, "it contains '..' or '@{'");
  }
  if (ref.startsWith("/") || ref.endsWith("/") || ref.includes("//")) {
    throw refuse(ref, "it has an empty path component");
  }
  if (ref.endsWith(".") || ref.split("/").some((c) => c.startsWith(".") || c.endsWith(".lock"))) {
    throw refuse(ref, "a component starts with '.' or ends with '.' or '.lock'");
  }
  return ref;
}
