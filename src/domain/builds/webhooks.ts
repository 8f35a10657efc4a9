import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/**
 * Push webhooks from GitHub and GitLab: checking that a delivery comes from the host that
 * knows the service's secret, and reading the few facts a build needs from its body.
 * Pure: the HTTP layer reads the raw body and headers and passes them in.
 */

export type PushEvent = {
  /** The full ref, "refs/heads/main" or "refs/tags/v1.0". */
  ref: string;
  /** "main" for a branch push; null for a tag. */
  branch: string | null;
  /** The commit to build: the one the ref now points at (all zeros when it was deleted). */
  commit: string;
  message: string | null;
  pusher: string | null;
  /** The push deleted the ref: nothing to build. */
  deleted: boolean;
};

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body with the webhook
 * secret, compared in constant time. A missing or malformed header, or an empty secret,
 * is false, never an exception.
 */
export function verifyGithubSignature(
  secret: string,
  rawBody: Uint8Array,
  header: string | undefined,
): boolean {
  if (secret === "" || header === undefined) return false;
  const hex = SIGNATURE.exec(header.trim())?.[1];
  if (hex === undefined) return false;
  const given = Buffer.from(hex, "hex");
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * `X-Gitlab-Token`: the secret itself. Both sides are hashed first so the comparison is
 * constant-time and of equal length whatever was sent (no length leak, no exception).
 */
export function verifyGitlabToken(secret: string, header: string | undefined): boolean {
  if (secret === "" || header === undefined) return false;
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(header), digest(secret));
}

const sha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/);
const ref = z.string().regex(/^refs\/(heads|tags)\/\S+$/);
const optionalText = z.string().nullish();

const githubPush = z.object({
  ref,
  after: sha,
  deleted: z.boolean().optional(),
  head_commit: z.object({ id: sha, message: optionalText }).nullish(),
  pusher: z.object({ name: optionalText }).nullish(),
});

const gitlabPush = z.object({
  object_kind: z.enum(["push", "tag_push"]),
  ref,
  after: sha,
  checkout_sha: sha.nullish(),
  user_username: optionalText,
  user_name: optionalText,
  commits: z.array(z.object({ id: z.string(), message: optionalText })).optional(),
});

const isZero = (commit: string) => /^0+$/.test(commit);

const branchOf = (fullRef: string) =>
  fullRef.startsWith("refs/heads/") ? fullRef.slice("refs/heads/".length) : null;

/** A GitHub `push` event body (already JSON-parsed); null when it is not one. */
export function parseGithubPush(json: unknown): PushEvent | null {
  const parsed = githubPush.safeParse(json);
  if (!parsed.success) return null;
  const p = parsed.data;
  return {
    ref: p.ref,
    branch: branchOf(p.ref),
    // for an annotated tag `after` is the tag object; head_commit is the commit it tags
    commit: p.head_commit?.id ?? p.after,
    message: p.head_commit?.message ?? null,
    pusher: p.pusher?.name ?? null,
    deleted: p.deleted ?? isZero(p.after),
  };
}

/** A GitLab push or tag push hook body (already JSON-parsed); null when it is not one. */
export function parseGitlabPush(json: unknown): PushEvent | null {
  const parsed = gitlabPush.safeParse(json);
  if (!parsed.success) return null;
  const p = parsed.data;
  const commit = p.checkout_sha ?? p.after;
  return {
    ref: p.ref,
    branch: branchOf(p.ref),
    commit,
    message: p.commits?.find((c) => c.id === commit)?.message ?? null,
    pusher: p.user_username ?? p.user_name ?? null,
    deleted: isZero(p.after),
  };
}
