import { describe, expect, it } from "vitest";
import {
  decodeRequestPath,
  directoryLocation,
  hasExtension,
  splitUrl,
} from "../../src/http/sites/safe-path.ts";

describe("splitUrl", () => {
  it.each([
    ["http://h.test/a/b?x=1#frag", "/a/b", "?x=1"],
    ["http://h.test", "/", ""],
    ["http://h.test?q=/x", "/", "?q=/x"],
    ["https://h.test:8443/../x?", "/../x", "?"],
    ["http://h.test/a%2Fb#x?y", "/a%2Fb", ""],
    ["/raw/path?z", "/raw/path", "?z"],
  ])("%s → %s + %s", (url, pathname, search) => {
    expect(splitUrl(url)).toEqual({ pathname, search });
  });
});

describe("decodeRequestPath", () => {
  it.each([
    ["/", "/"],
    ["/index.html", "/index.html"],
    ["/a%20b/%C3%BC.txt", "/a b/ü.txt"],
    ["/100%25", "/100%"],
    ["/.well-known/x", "/.well-known/x"],
    ["/a/.hidden/..x/x..", "/a/.hidden/..x/x.."],
    ["/%2525", "/%25"],
  ])("%s → %s", (raw, decoded) => {
    expect(decodeRequestPath(raw)).toBe(decoded);
  });

  it.each([
    "/../secret",
    "/a/../../secret",
    "/a/..",
    "/%2e%2e/secret",
    "/%2E%2E/secret",
    "/.%2e/secret",
    "/a/./b",
    "/a%2Fb",
    "/a%2fb",
    "/a%5Cb",
    "/a%5cb",
    "/a\\b",
    "/a%00b",
    "/a\0b",
    "/a%zz",
    "/a%",
    "/a%C3",
    "/a%ff",
    "relative/path",
    "",
  ])("%s → rejected", (raw) => {
    expect(decodeRequestPath(raw)).toBeNull();
  });
});

describe("hasExtension", () => {
  it.each([
    ["/app.js", true],
    ["/a/b.min.css", true],
    ["/about", false],
    ["/a.b/route", false],
    ["/.env", false],
    ["/docs/", false],
  ])("%s → %s", (path, expected) => {
    expect(hasExtension(path)).toBe(expected);
  });
});

describe("directoryLocation", () => {
  it("appends the slash and keeps the query", () => {
    expect(directoryLocation("/docs", "?a=1")).toBe("/docs/?a=1");
    expect(directoryLocation("/a%20b", "")).toBe("/a%20b/");
  });

  it("collapses leading slashes so the result stays same-origin", () => {
    expect(directoryLocation("//evil.example", "")).toBe("/evil.example/");
    expect(directoryLocation("///evil.example/x", "?q")).toBe("/evil.example/x/?q");
  });
});
