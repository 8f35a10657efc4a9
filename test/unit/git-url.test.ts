import { describe, expect, it } from "vitest";
import { isCommitSha, validateRef } from "../../src/adapters/git/ref.ts";
import { parseRepoUrl } from "../../src/adapters/git/url.ts";
import { DomainError } from "../../src/domain/errors.ts";

describe("parseRepoUrl", () => {
  it.each([
    ["https://github.com/acme/site", "https", "github.com"],
    ["https://github.com/acme/site.git", "https", "github.com"],
    ["https://gitlab.example.com:8443/group/sub/site.git", "https", "gitlab.example.com:8443"],
    ["https://127.0.0.1:9000/acme/site.git", "https", "127.0.0.1:9000"],
    ["ssh://git@github.com/acme/site.git", "ssh", "github.com"],
    ["ssh://git@git.example.com:2222/acme/site.git", "ssh", "git.example.com:2222"],
    ["git@github.com:acme/site.git", "ssh", "github.com"],
    ["deploy@git.example.com:/srv/git/site.git", "ssh", "git.example.com"],
    ["file:///srv/mirrors/site.git", "file", null],
    ["/srv/mirrors/site.git", "file", null],
  ])("accepts %s", (url, kind, host) => {
    expect(parseRepoUrl(url)).toEqual({ kind, url, host });
  });

  it.each([
    ["empty", ""],
    ["http", "http://github.com/acme/site.git"],
    ["git protocol", "git://github.com/acme/site.git"],
    ["ftp", "ftp://example.com/site.git"],
    ["ext:: helper", "ext::sh -c touch% /tmp/pwned"],
    ["ext:: helper without spaces", "ext::sh"],
    ["fd:: helper", "fd::3"],
    ["an option", "--upload-pack=touch /tmp/pwned"],
    ["an option without spaces", "-oProxyCommand=x"],
    ["a space", "https://github.com/acme/my site"],
    ["a newline", "https://github.com/acme/site\n"],
    ["a tab", "git@github.com:acme/\tsite.git"],
    ["a NUL", "/srv/site\0.git"],
    ["an escape character", "/srv/site\u001b.git"],
    ["a relative path", "site.git"],
    ["a dot path", "./site.git"],
    ["a home path", "~/site.git"],
    ["credentials in an https URL", "https://user:token@github.com/acme/site.git"],
    ["a user in an https URL", "https://token@github.com/acme/site.git"],
    ["a password in an ssh URL", "ssh://git:pw@github.com/acme/site.git"],
    ["an ssh host that is an option", "ssh://-oProxyCommand=x/acme/site.git"],
    ["a host only", "https://github.com/"],
    ["a query", "https://github.com/acme/site.git?x=1"],
    ["a fragment", "https://github.com/acme/site.git#main"],
    ["..", "https://github.com/acme/../../etc"],
    [".. in a path", "/srv/mirrors/../secret.git"],
    [".. in an scp-like path", "git@github.com:../etc"],
    ["an scp-like path that is an option", "git@github.com:-x"],
    ["a file URL with a host", "file://server/srv/site.git"],
    ["a file URL without a path", "file:///"],
    ["too long", `https://github.com/${"a".repeat(2100)}`],
  ])("refuses %s", (_, url) => {
    try {
      parseRepoUrl(url);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ kind: "unprocessable", code: "invalid_repository" });
    }
  });
});

describe("validateRef", () => {
  it.each([
    "main",
    "develop",
    "feature/x-1",
    "release_2.0",
    "v1.0.0",
    "refs/heads/main",
    "refs/tags/v1.0",
    "a".repeat(40),
    "0123456789abcdef0123456789abcdef01234567",
  ])("accepts %s", (ref) => {
    expect(validateRef(ref)).toBe(ref);
  });

  it.each([
    "",
    "-x",
    "--upload-pack=evil",
    "--upload-pack=touch /tmp/pwned",
    "main branch",
    "main\n",
    "a..b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[1]",
    "a\\b",
    "@",
    "a@{1}",
    "/main",
    "main/",
    "a//b",
    ".hidden",
    "a/.b",
    "main.",
    "x.lock",
    "x".repeat(256),
  ])("refuses %j", (ref) => {
    expect(() => validateRef(ref)).toThrow(DomainError);
  });

  it("names the code and field", () => {
    expect(() => validateRef("--upload-pack=evil")).toThrow(
      expect.objectContaining({ code: "invalid_ref", field: "ref" }),
    );
  });

  it("tells full commit ids apart", () => {
    expect(isCommitSha("a".repeat(40))).toBe(true);
    expect(isCommitSha("a".repeat(64))).toBe(true);
    expect(isCommitSha("a".repeat(12))).toBe(false);
    expect(isCommitSha("A".repeat(40))).toBe(false);
    expect(isCommitSha("main")).toBe(false);
  });
});
