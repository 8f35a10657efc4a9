import { describe, expect, it } from "vitest";
import {
  acceptsHtml,
  ifRangeHolds,
  makeEtag,
  noneMatchHits,
  notModifiedSince,
  parseRange,
} from "../../src/http/sites/conditional.ts";
import { contentTypeFor, isFingerprinted } from "../../src/http/sites/content-types.ts";

describe("contentTypeFor", () => {
  it.each([
    ["/index.html", "text/html; charset=utf-8"],
    ["/page.HTM", "text/html; charset=utf-8"],
    ["/a.css", "text/css; charset=utf-8"],
    ["/a.js", "text/javascript; charset=utf-8"],
    ["/a.mjs", "text/javascript; charset=utf-8"],
    ["/a.json", "application/json; charset=utf-8"],
    ["/a.js.map", "application/json; charset=utf-8"],
    ["/a.txt", "text/plain; charset=utf-8"],
    ["/a.xml", "application/xml; charset=utf-8"],
    ["/a.svg", "image/svg+xml; charset=utf-8"],
    ["/a.csv", "text/csv; charset=utf-8"],
    ["/a.md", "text/markdown; charset=utf-8"],
    ["/site.webmanifest", "application/manifest+json; charset=utf-8"],
    ["/a.png", "image/png"],
    ["/a.jpg", "image/jpeg"],
    ["/a.jpeg", "image/jpeg"],
    ["/a.gif", "image/gif"],
    ["/a.webp", "image/webp"],
    ["/a.avif", "image/avif"],
    ["/favicon.ico", "image/x-icon"],
    ["/a.woff", "font/woff"],
    ["/a.woff2", "font/woff2"],
    ["/a.ttf", "font/ttf"],
    ["/a.otf", "font/otf"],
    ["/a.wasm", "application/wasm"],
    ["/a.pdf", "application/pdf"],
    ["/a.mp4", "video/mp4"],
    ["/a.webm", "video/webm"],
    ["/a.mp3", "audio/mpeg"],
    ["/a.zip", "application/zip"],
    ["/Makefile", "application/octet-stream"],
    ["/.env", "application/octet-stream"],
    ["/dir.js/file", "application/octet-stream"],
    ["/a.constructor", "application/octet-stream"],
    ["/a.exe", "application/octet-stream"],
  ])("%s → %s", (path, type) => {
    expect(contentTypeFor(path)).toBe(type);
  });
});

describe("isFingerprinted", () => {
  it.each([
    "/assets/app.3f9a2c1d.js",
    "/assets/index-BxK2f9aZ.css",
    "/assets/index-B-x_2f9a.js",
    "/chunk.abcdef0123.woff2",
    "/_next/static/chunks/pages/_app-3f9a2c1d5e6f7a8b.js",
    "/_next/static/css/8a1b2c3d4e5f6a7b.css",
    "/main.3f9a2c1d.chunk.js",
    "/chunk-5GB2TSCU.js",
    "/logo.a1b2c3d4.svg",
  ])("%s is fingerprinted", (path) => {
    expect(isFingerprinted(path)).toBe(true);
  });

  it.each([
    "/jquery-3.7.1.min.js",
    "/logo.png",
    "/background.png",
    "/background2.png",
    "/hero-banner2024.jpg",
    "/report-20240115.pdf",
    "/app-v2-release.js",
    "/my-fancyComponent.js",
    "/config.settings.json",
    "/bootstrap.bundle.min.js",
    "/react-dom_production_min.js",
    "/index.html",
    "/deadbeef.js",
    "/a.deadbeef.js",
    "/a.12345678.js",
  ])("%s is not fingerprinted", (path) => {
    expect(isFingerprinted(path)).toBe(false);
  });
});

describe("validators", () => {
  it("makes the ETag from size and mtime", () => {
    expect(makeEtag(255, 1709528767890.7)).toBe('"ff-18e07dadd92"');
  });

  it("If-None-Match uses weak comparison over lists", () => {
    expect(noneMatchHits('"a-1"', '"a-1"')).toBe(true);
    expect(noneMatchHits('W/"a-1"', '"a-1"')).toBe(true);
    expect(noneMatchHits(' "x" ,W/"a-1"', '"a-1"')).toBe(true);
    expect(noneMatchHits("*", '"a-1"')).toBe(true);
    expect(noneMatchHits('"a-2", "b-1"', '"a-1"')).toBe(false);
    expect(noneMatchHits("a-1", '"a-1"')).toBe(false);
  });

  it("If-Modified-Since compares at one-second resolution", () => {
    const mtime = Date.parse("2024-03-04T05:06:07.890Z");
    expect(notModifiedSince("Mon, 04 Mar 2024 05:06:07 GMT", mtime)).toBe(true);
    expect(notModifiedSince("Mon, 04 Mar 2024 05:06:08 GMT", mtime)).toBe(true);
    expect(notModifiedSince("Mon, 04 Mar 2024 05:06:06 GMT", mtime)).toBe(false);
    expect(notModifiedSince("not a date", mtime)).toBe(false);
  });

  it("If-Range needs an exact strong ETag or the exact date", () => {
    const lm = "Mon, 04 Mar 2024 05:06:07 GMT";
    expect(ifRangeHolds('"a-1"', '"a-1"', lm)).toBe(true);
    expect(ifRangeHolds('W/"a-1"', '"a-1"', lm)).toBe(false);
    expect(ifRangeHolds('"a-2"', '"a-1"', lm)).toBe(false);
    expect(ifRangeHolds(lm, '"a-1"', lm)).toBe(true);
    expect(ifRangeHolds("Mon, 04 Mar 2024 05:06:08 GMT", '"a-1"', lm)).toBe(false);
    expect(ifRangeHolds("garbage", '"a-1"', lm)).toBe(false);
  });
});

describe("parseRange", () => {
  it.each([
    ["bytes=0-9", 100, { start: 0, end: 9 }],
    ["bytes=90-", 100, { start: 90, end: 99 }],
    ["bytes=-10", 100, { start: 90, end: 99 }],
    ["bytes=-1000", 100, { start: 0, end: 99 }],
    ["bytes=50-1000", 100, { start: 50, end: 99 }],
    ["Bytes = 1 - 2", 100, { start: 1, end: 2 }],
    ["bytes=100-", 100, "unsatisfiable"],
    ["bytes=-0", 100, "unsatisfiable"],
    ["bytes=0-", 0, "unsatisfiable"],
    ["bytes=-5", 0, "unsatisfiable"],
    ["bytes=0-1,2-3", 100, null],
    ["bytes=-", 100, null],
    ["bytes=5-1", 100, null],
    ["items=0-1", 100, null],
    ["bytes=a-b", 100, null],
    ["0-1", 100, null],
  ])("%s of %d → %j", (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe("acceptsHtml", () => {
  it.each([
    [null, true],
    ["", true],
    ["text/html", true],
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true],
    ["*/*", true],
    ["text/*", true],
    ["application/json", false],
    ["image/avif,image/webp,*/*;q=0", false],
    ["text/html;q=0, */*", false],
    ["text/html;q=0.1, */*;q=0", true],
  ])("%s → %s", (accept, expected) => {
    expect(acceptsHtml(accept)).toBe(expected);
  });
});
