import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  parseGithubPush,
  parseGitlabPush,
  verifyGithubSignature,
  verifyGitlabToken,
} from "../../src/domain/builds/webhooks.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("verifyGithubSignature", () => {
  // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
  const secret = "It's a Secret to Everybody";
  const body = bytes("Hello, World!");
  const good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  it("accepts GitHub's documented test vector", () => {
    expect(verifyGithubSignature(secret, body, good)).toBe(true);
  });

  it("accepts uppercase hex and surrounding whitespace", () => {
    expect(
      verifyGithubSignature(secret, body, ` ${good.toUpperCase().replace("SHA256", "sha256")} `),
    ).toBe(true);
  });

  it("accepts a signature over any raw bytes", () => {
    const raw = new Uint8Array([0, 255, 10, 13, 128]);
    const sig = `sha256=${createHmac("sha256", "s").update(raw).digest("hex")}`;
    expect(verifyGithubSignature("s", raw, sig)).toBe(true);
  });

  it.each([
    ["a missing header", undefined],
    ["an empty header", ""],
    ["a wrong signature", `sha256=${"0".repeat(64)}`],
    [
      "a signature of another body",
      `sha256=${createHmac("sha256", secret).update("Hello").digest("hex")}`,
    ],
    [
      "another secret's signature",
      `sha256=${createHmac("sha256", "x").update(body).digest("hex")}`,
    ],
    ["truncated hex", good.slice(0, -2)],
    ["an odd number of hex digits", good.slice(0, -1)],
    ["too much hex", `${good}00`],
    ["non-hex", `sha256=${"zz".repeat(32)}`],
    ["non-hex at the end", `${good.slice(0, -1)}g`],
    ["no prefix", good.slice("sha256=".length)],
    ["the SHA-1 header format", "sha1=0123456789abcdef0123456789abcdef01234567"],
  ])("refuses %s", (_, header) => {
    expect(verifyGithubSignature(secret, body, header)).toBe(false);
  });

  it("refuses everything when the secret is empty", () => {
    const sig = `sha256=${createHmac("sha256", "").update(body).digest("hex")}`;
    expect(verifyGithubSignature("", body, sig)).toBe(false);
  });
});

describe("verifyGitlabToken", () => {
  it("accepts the exact token", () => {
    expect(verifyGitlabToken("tok-123", "tok-123")).toBe(true);
  });

  it.each([
    ["a missing header", undefined],
    ["an empty header", ""],
    ["a wrong token", "tok-124"],
    ["a prefix", "tok-12"],
    ["a longer token", "tok-1234"],
    ["another case", "TOK-123"],
  ])("refuses %s", (_, header) => {
    expect(verifyGitlabToken("tok-123", header)).toBe(false);
  });

  it("refuses everything when the secret is empty", () => {
    expect(verifyGitlabToken("", "")).toBe(false);
  });
});

const A = "a".repeat(40);
const B = "b".repeat(40);
const T = "c".repeat(40);
const ZERO = "0".repeat(40);

describe("parseGithubPush", () => {
  const push = {
    ref: "refs/heads/main",
    before: B,
    after: A,
    created: false,
    deleted: false,
    forced: false,
    head_commit: { id: A, message: "Fix the header\n\nLonger text", author: { name: "Ada" } },
    pusher: { name: "ada", email: "ada@example.com" },
    repository: { full_name: "acme/site" },
  };

  it("reads a branch push", () => {
    expect(parseGithubPush(push)).toEqual({
      ref: "refs/heads/main",
      branch: "main",
      commit: A,
      message: "Fix the header\n\nLonger text",
      pusher: "ada",
      deleted: false,
    });
  });

  it("keeps slashes in branch names", () => {
    expect(parseGithubPush({ ...push, ref: "refs/heads/feature/x" })?.branch).toBe("feature/x");
  });

  it("reads a tag push: no branch, the tagged commit", () => {
    const tag = { ...push, ref: "refs/tags/v1.0", after: T, head_commit: { id: A, message: "m" } };
    expect(parseGithubPush(tag)).toMatchObject({ ref: "refs/tags/v1.0", branch: null, commit: A });
  });

  it("reads a deleted branch", () => {
    const gone = { ...push, after: ZERO, deleted: true, head_commit: null };
    expect(parseGithubPush(gone)).toMatchObject({ deleted: true, commit: ZERO, message: null });
  });

  it("tolerates a missing pusher or head commit", () => {
    const { pusher: _p, head_commit: _h, ...bare } = push;
    expect(parseGithubPush(bare)).toMatchObject({ commit: A, message: null, pusher: null });
  });

  it.each([
    ["null", null],
    ["a string", "push"],
    ["a ping", { zen: "Keep it logically awesome.", hook_id: 1 }],
    ["no ref", { ...push, ref: undefined }],
    ["a ref outside heads/tags", { ...push, ref: "refs/pull/1/head" }],
    ["a short ref", { ...push, ref: "main" }],
    ["a short sha", { ...push, after: "abc123" }],
    ["a non-hex sha", { ...push, after: "z".repeat(40) }],
    ["a number for the ref", { ...push, ref: 5 }],
    ["a bad head commit", { ...push, head_commit: { id: 5 } }],
  ])("returns null for %s", (_, json) => {
    expect(parseGithubPush(json)).toBeNull();
  });
});

describe("parseGitlabPush", () => {
  const push = {
    object_kind: "push",
    event_name: "push",
    before: B,
    after: A,
    ref: "refs/heads/develop",
    checkout_sha: A,
    user_name: "Ada Lovelace",
    user_username: "ada",
    project: { path_with_namespace: "acme/site" },
    commits: [
      { id: B, message: "older" },
      { id: A, message: "Newest change\n" },
    ],
    total_commits_count: 2,
  };

  it("reads a branch push", () => {
    expect(parseGitlabPush(push)).toEqual({
      ref: "refs/heads/develop",
      branch: "develop",
      commit: A,
      message: "Newest change\n",
      pusher: "ada",
      deleted: false,
    });
  });

  it("reads a tag push: the checked-out commit, not the tag object", () => {
    const tag = { ...push, object_kind: "tag_push", ref: "refs/tags/v2", after: T, commits: [] };
    expect(parseGitlabPush(tag)).toMatchObject({ branch: null, commit: A, message: null });
  });

  it("reads a deleted branch", () => {
    const gone = { ...push, after: ZERO, checkout_sha: null, commits: [] };
    expect(parseGitlabPush(gone)).toMatchObject({ deleted: true, commit: ZERO });
  });

  it("falls back to the user's name", () => {
    expect(parseGitlabPush({ ...push, user_username: undefined })?.pusher).toBe("Ada Lovelace");
  });

  it.each([
    ["null", null],
    ["a merge request hook", { ...push, object_kind: "merge_request" }],
    ["no object_kind", { ...push, object_kind: undefined }],
    ["a bad ref", { ...push, ref: "develop" }],
    ["a bad sha", { ...push, after: "1234" }],
    ["commits that are not a list", { ...push, commits: "x" }],
  ])("returns null for %s", (_, json) => {
    expect(parseGitlabPush(json)).toBeNull();
  });
});
