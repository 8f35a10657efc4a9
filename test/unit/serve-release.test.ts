import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ServeOptions, serveRelease } from "../../src/http/sites/serve-release.ts";

const MTIME = new Date("2024-03-04T05:06:07.890Z");
const MTIME_MS = MTIME.getTime();
const LAST_MODIFIED = "Mon, 04 Mar 2024 05:06:07 GMT";

const INDEX = "<!doctype html><h1>home</h1>\n";
const ABOUT = "<h1>about</h1>\n";
const DOCS = "<h1>docs</h1>\n";
const NOT_FOUND_PAGE = "<h1>lost</h1>\n";
const APP_JS = "console.log('app');\n";
const SECRET = "top secret\n";
const BIG = randomBytes(200 * 1024);

function etagOf(size: number): string {
  return `"${size.toString(16)}-${MTIME_MS.toString(16)}"`;
}

let tmp: string;
let releases: string;
/** The live release dir: `${tmp}/site/current` → `${releases}/r1`. */
let root: string;
let r1: string;

async function put(dir: string, file: string, content: string | Buffer): Promise<void> {
  const path = join(dir, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  await utimes(path, MTIME, MTIME);
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "berth-serve-"));
  releases = join(tmp, "site", "releases");
  r1 = join(releases, "r1");
  await put(r1, "index.html", INDEX);
  await put(r1, "about.html", ABOUT);
  await put(r1, "docs/index.html", DOCS);
  await put(r1, "assets/app.3f9a2c1d.js", APP_JS);
  await put(r1, "assets/index-BxK2f9aZ.css", "body{}");
  await put(r1, "assets/chunk.abcdef0123.woff2", "woff2");
  await put(r1, "assets/jquery-3.7.1.min.js", "jq");
  await put(r1, "style.css", "a{}");
  await put(r1, "data.json", "{}");
  await put(r1, "logo.png", Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await put(r1, "LICENSE", "MIT");
  await put(r1, "file.unknownext", "?");
  await put(r1, "empty.txt", "");
  await put(r1, "big.bin", BIG);
  await put(r1, ".well-known/security.txt", "Contact: x\n");
  await put(tmp, "secret.txt", SECRET);
  await mkdir(join(tmp, "outside-dir"));
  await put(tmp, "outside-dir/index.html", SECRET);
  root = join(tmp, "site", "current");
  await symlink(r1, root);
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function request(path: string, init: RequestInit = {}): Request {
  return new Request(`http://site.test${path}`, init);
}

function serve(
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
  options: ServeOptions = { spaFallback: false },
): Promise<Response> {
  return serveRelease(root, request(path, { method, headers }), options);
}

function headersOf(res: Response): Record<string, string> {
  return Object.fromEntries(res.headers);
}

function fileHeaders(
  type: string,
  size: number,
  cacheControl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "content-type": type,
    "content-length": String(size),
    etag: etagOf(size),
    "last-modified": LAST_MODIFIED,
    "cache-control": cacheControl,
    "accept-ranges": "bytes",
    "x-content-type-options": "nosniff",
    ...extra,
  };
}

const HTML = "text/html; charset=utf-8";
const PLAIN_404 = {
  "content-type": "text/plain; charset=utf-8",
  "content-length": "9",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
};

describe("serveRelease: files and directories", () => {
  it("serves / as /index.html with exact headers", async () => {
    const res = await serve("/");
    expect(res.status).toBe(200);
    expect(headersOf(res)).toEqual(fileHeaders(HTML, INDEX.length, "no-cache"));
    expect(await res.text()).toBe(INDEX);
  });

  it("serves /docs/ from /docs/index.html", async () => {
    const res = await serve("/docs/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(HTML);
    expect(await res.text()).toBe(DOCS);
  });

  it("redirects a directory without slash to the slash form, keeping the query", async () => {
    const res = await serve("/docs?x=1&y=%20");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/docs/?x=1&y=%20");
    expect(await res.text()).toBe("");
  });

  it("never redirects to a protocol-relative URL", async () => {
    const res = await serve("//docs");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/docs/");
  });

  it("serves clean URLs: /about → /about.html", async () => {
    const res = await serve("/about?ref=nav");
    expect(res.status).toBe(200);
    expect(headersOf(res)).toEqual(fileHeaders(HTML, ABOUT.length, "no-cache"));
    expect(await res.text()).toBe(ABOUT);
    expect((await serve("/about/")).status).toBe(404);
    expect((await serve("/docs/index")).status).toBe(200);
  });

  it("a clean URL never resolves to a directory named like an HTML file", async () => {
    await mkdir(join(r1, "guide.html"));
    const res = await serve("/guide");
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("Not Found");
  });

  it("serves dotfiles such as /.well-known/security.txt", async () => {
    const res = await serve("/.well-known/security.txt");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Contact: x\n");
  });

  it("serves percent-encoded names once decoded", async () => {
    await put(r1, "a b/ünï.txt", "spaced");
    const res = await serve("/a%20b/%C3%BCn%C3%AF.txt");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("spaced");
    await put(r1, "100%.txt", "pct");
    expect(await (await serve("/100%25.txt")).text()).toBe("pct");
  });

  it("serves an empty file", async () => {
    const res = await serve("/empty.txt");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("0");
    expect(await res.text()).toBe("");
  });

  it("streams large files with Content-Length", async () => {
    const res = await serve("/big.bin");
    expect(res.status).toBe(200);
    expect(headersOf(res)).toEqual(
      fileHeaders("application/octet-stream", BIG.length, "public, max-age=0, must-revalidate"),
    );
    expect(Buffer.from(await res.arrayBuffer()).equals(BIG)).toBe(true);
  });

  it("answers 404 when the release root does not exist", async () => {
    const res = await serveRelease(join(tmp, "nope"), request("/"), { spaFallback: true });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("Not Found");
  });
});

describe("serveRelease: content types", () => {
  it.each([
    ["/index.html", HTML],
    ["/style.css", "text/css; charset=utf-8"],
    ["/assets/app.3f9a2c1d.js", "text/javascript; charset=utf-8"],
    ["/data.json", "application/json; charset=utf-8"],
    ["/logo.png", "image/png"],
    ["/assets/chunk.abcdef0123.woff2", "font/woff2"],
    ["/.well-known/security.txt", "text/plain; charset=utf-8"],
    ["/LICENSE", "application/octet-stream"],
    ["/file.unknownext", "application/octet-stream"],
  ])("%s → %s with nosniff", async (path, type) => {
    const res = await serve(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("serveRelease: cache headers", () => {
  it.each([
    ["/", "no-cache"],
    ["/about", "no-cache"],
    ["/assets/app.3f9a2c1d.js", "public, max-age=31536000, immutable"],
    ["/assets/index-BxK2f9aZ.css", "public, max-age=31536000, immutable"],
    ["/assets/chunk.abcdef0123.woff2", "public, max-age=31536000, immutable"],
    ["/assets/jquery-3.7.1.min.js", "public, max-age=0, must-revalidate"],
    ["/style.css", "public, max-age=0, must-revalidate"],
    ["/logo.png", "public, max-age=0, must-revalidate"],
  ])("%s → %s", async (path, cacheControl) => {
    const res = await serve(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe(cacheControl);
  });
});

describe("serveRelease: methods and HEAD", () => {
  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])("%s → 405 with Allow", async (method) => {
    const res = await serve("/", {}, method);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(await res.text()).toBe("Method Not Allowed");
  });

  it("HEAD gives the GET headers without a body", async () => {
    const get = await serve("/assets/app.3f9a2c1d.js");
    const head = await serve("/assets/app.3f9a2c1d.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(headersOf(head)).toEqual(headersOf(get));
    expect(head.headers.get("content-length")).toBe(String(APP_JS.length));
    expect(head.body).toBeNull();
    expect(await get.text()).toBe(APP_JS);
  });

  it("HEAD of a large file gives its length without a body", async () => {
    const head = await serve("/big.bin", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(BIG.length));
    expect(head.body).toBeNull();
  });

  it("HEAD of a missing path is a bodiless 404", async () => {
    const head = await serve("/missing", {}, "HEAD");
    expect(head.status).toBe(404);
    expect(headersOf(head)).toEqual(PLAIN_404);
    expect(head.body).toBeNull();
  });
});

describe("serveRelease: conditional requests", () => {
  const etag = etagOf(INDEX.length);

  it.each([[etag], [`W/${etag}`], [`"nope", ${etag}`], [`"nope",W/${etag} , "other"`], ["*"]])(
    "If-None-Match %s → 304",
    async (value) => {
      const res = await serve("/", { "if-none-match": value });
      expect(res.status).toBe(304);
      expect(headersOf(res)).toEqual({
        etag,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      });
      expect(await res.text()).toBe("");
    },
  );

  it("a HEAD with a matching If-None-Match → 304", async () => {
    const res = await serve("/", { "if-none-match": etag }, "HEAD");
    expect(res.status).toBe(304);
  });

  it("If-None-Match that does not match → 200, and wins over If-Modified-Since", async () => {
    const res = await serve("/", {
      "if-none-match": '"1-2", W/"3-4"',
      "if-modified-since": LAST_MODIFIED,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(INDEX);
  });

  it("If-Modified-Since at or after Last-Modified → 304 with validators", async () => {
    const res = await serve("/assets/app.3f9a2c1d.js", { "if-modified-since": LAST_MODIFIED });
    expect(res.status).toBe(304);
    expect(headersOf(res)).toEqual({
      etag: etagOf(APP_JS.length),
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
    const later = await serve("/", { "if-modified-since": "Tue, 05 Mar 2024 00:00:00 GMT" });
    expect(later.status).toBe(304);
  });

  it("If-Modified-Since before Last-Modified, or garbage → 200", async () => {
    const earlier = await serve("/", { "if-modified-since": "Mon, 04 Mar 2024 05:06:06 GMT" });
    expect(earlier.status).toBe(200);
    expect(await earlier.text()).toBe(INDEX);
    expect((await serve("/", { "if-modified-since": "yesterday-ish" })).status).toBe(200);
  });
});

describe("serveRelease: not found", () => {
  it("plain 404 when the release has no 404.html", async () => {
    const res = await serve("/missing.html");
    expect(res.status).toBe(404);
    expect(headersOf(res)).toEqual(PLAIN_404);
    expect(await res.text()).toBe("Not Found");
  });

  it("serves /404.html with status 404 and no-cache", async () => {
    await put(r1, "404.html", NOT_FOUND_PAGE);
    const res = await serve("/nowhere/page", { "if-none-match": "*" });
    expect(res.status).toBe(404);
    expect(headersOf(res)).toEqual(fileHeaders(HTML, NOT_FOUND_PAGE.length, "no-cache"));
    expect(await res.text()).toBe(NOT_FOUND_PAGE);
  });

  it("a missing index in an existing directory is a 404", async () => {
    await mkdir(join(r1, "empty-dir"));
    expect((await serve("/empty-dir/")).status).toBe(404);
  });

  it("a path through a file is a 404 (ENOTDIR)", async () => {
    expect((await serve("/style.css/x")).status).toBe(404);
  });

  it("a symlink loop is a 404 (ELOOP)", async () => {
    await symlink("loop", join(r1, "loop"));
    expect((await serve("/loop")).status).toBe(404);
  });

  it("a FIFO is not served (and does not hang)", async () => {
    execFileSync("mkfifo", [join(r1, "pipe.txt")]);
    const res = await serve("/pipe.txt");
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("Not Found");
  });

  it("an absurdly long path is a 404, not an exception", async () => {
    expect((await serve(`/${"a".repeat(5000)}`)).status).toBe(404);
  });
});

describe("serveRelease: SPA fallback", () => {
  const spa: ServeOptions = { spaFallback: true };
  const browser = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

  it("serves /index.html with 200 for a missing route", async () => {
    await put(r1, "404.html", NOT_FOUND_PAGE);
    const res = await serve("/dashboard/settings?tab=2", browser, "GET", spa);
    expect(res.status).toBe(200);
    expect(headersOf(res)).toEqual(fileHeaders(HTML, INDEX.length, "no-cache"));
    expect(await res.text()).toBe(INDEX);
  });

  it("accepts */* and a missing Accept header, HEAD too", async () => {
    expect((await serve("/route", { accept: "*/*" }, "GET", spa)).status).toBe(200);
    expect((await serve("/route", {}, "GET", spa)).status).toBe(200);
    const head = await serve("/route", browser, "HEAD", spa);
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it("missing assets still 404 (with 404.html when present)", async () => {
    const plain404 = await serve("/app.js", browser, "GET", spa);
    expect(plain404.status).toBe(404);
    // a browser without the site's own 404.html gets Berth's page, anything else plain text
    expect(await plain404.text()).toContain("Page not found");
    expect(
      (await serve("/app.js", { accept: "*/*" }, "GET", spa)).headers.get("content-type"),
    ).toContain("text/plain");
    await put(r1, "404.html", NOT_FOUND_PAGE);
    const page = await serve("/assets/missing.3f9a2c1d.css", browser, "GET", spa);
    expect(page.status).toBe(404);
    expect(await page.text()).toBe(NOT_FOUND_PAGE);
  });

  it("requests that do not accept HTML get the 404", async () => {
    const json = await serve("/api/thing", { accept: "application/json" }, "GET", spa);
    expect(json.status).toBe(404);
    const refused = await serve("/x", { accept: "text/html;q=0, */*" }, "GET", spa);
    expect(refused.status).toBe(404);
  });

  it("is off unless asked for", async () => {
    expect((await serve("/dashboard", browser)).status).toBe(404);
  });
});

describe("serveRelease: path security", () => {
  it.each([
    "/assets%2Fapp.3f9a2c1d.js",
    "/assets%2fapp.3f9a2c1d.js",
    "/assets%5Capp.3f9a2c1d.js",
    "/assets%5capp.3f9a2c1d.js",
    "/%2e%2e%2fsecret.txt",
    "/index.html%00.png",
    "/bad%zzescape",
    "/bad%E0%A4%A",
    "/bad%ff",
    "/trailing%",
  ])("%s → 400", async (path) => {
    const res = await serve(path);
    expect(res.status).toBe(400);
    expect(headersOf(res)).toEqual({
      "content-type": "text/plain; charset=utf-8",
      "content-length": "11",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
    expect(await res.text()).toBe("Bad Request");
  });

  it.each([
    "/../secret.txt",
    "/../../secret.txt",
    "/%2e%2e/%2e%2e/secret.txt",
    "/docs/.%2E/.%2e/../secret.txt",
    "/assets/%2E%2E/%2E%2E/%2e%2e/secret.txt",
  ])("%s never reaches outside the root", async (path) => {
    const res = await serve(path);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("secret");
  });

  it("a symlink pointing outside the release → 404", async () => {
    await symlink(join(tmp, "secret.txt"), join(r1, "leak.txt"));
    await symlink("../../../secret.txt", join(r1, "assets", "rel-leak.txt"));
    await symlink(join(tmp, "outside-dir"), join(r1, "outdir"));
    for (const path of ["/leak.txt", "/assets/rel-leak.txt", "/outdir/", "/outdir/index.html"]) {
      const res = await serve(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe("Not Found");
    }
    // Nor through the SPA fallback or 404 page.
    await symlink(join(tmp, "secret.txt"), join(r1, "404.html"));
    const page = await serve("/leak.txt");
    expect(page.status).toBe(404);
    expect(await page.text()).toBe("Not Found");
  });

  it("a symlink to a sibling release is outside too", async () => {
    await put(releases, "r0/old.txt", "old");
    await symlink(join(releases, "r0", "old.txt"), join(r1, "old.txt"));
    expect((await serve("/old.txt")).status).toBe(404);
  });

  it("symlinks pointing inside the release are served", async () => {
    await symlink("about.html", join(r1, "about-us.html"));
    await symlink("assets", join(r1, "static"));
    const link = await serve("/about-us");
    expect(link.status).toBe(200);
    expect(await link.text()).toBe(ABOUT);
    const viaDir = await serve("/static/app.3f9a2c1d.js");
    expect(viaDir.status).toBe(200);
    expect(await viaDir.text()).toBe(APP_JS);
  });
});

describe("serveRelease: atomic release swaps", () => {
  it("serves the new release after `current` is swapped between two requests", async () => {
    const r2 = join(releases, "r2");
    await put(r2, "index.html", "<h1>v2</h1>");
    expect(await (await serve("/")).text()).toBe(INDEX);
    expect((await serve("/about")).status).toBe(200);

    const next = join(tmp, "site", "current.next");
    await symlink(r2, next);
    await rename(next, root);

    const res = await serve("/");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<h1>v2</h1>");
    expect((await serve("/about")).status).toBe(404);
  });

  it("serves a release dir given directly (a preview)", async () => {
    const res = await serveRelease(r1, request("/docs/"), { spaFallback: false });
    expect(await res.text()).toBe(DOCS);
  });
});

describe("serveRelease: ranges", () => {
  const size = APP_JS.length;
  const path = "/assets/app.3f9a2c1d.js";

  it.each([
    ["bytes=0-6", 0, 6],
    ["bytes=8-", 8, size - 1],
    ["bytes=-4", size - 4, size - 1],
    ["bytes=3-3", 3, 3],
    ["bytes=2-100000", 2, size - 1],
    ["bytes=-100000", 0, size - 1],
  ])("%s → 206", async (range, start, end) => {
    const res = await serve(path, { range });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${size}`);
    expect(res.headers.get("content-length")).toBe(String(end - start + 1));
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(await res.text()).toBe(APP_JS.slice(start, end + 1));
  });

  it.each(["bytes=1000-", "bytes=-0", `bytes=${size}-${size + 5}`])("%s → 416", async (range) => {
    const res = await serve(path, { range });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe(`bytes */${size}`);
    expect(await res.text()).toBe("");
  });

  it("any range of an empty file → 416", async () => {
    const res = await serve("/empty.txt", { range: "bytes=0-" });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe("bytes */0");
  });

  it.each(["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=x-y"])(
    "%s is ignored → 200",
    async (range) => {
      const res = await serve(path, { range });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-range")).toBeNull();
      expect(await res.text()).toBe(APP_JS);
    },
  );

  it("If-Range with the current ETag or date honours the range, else serves all", async () => {
    const etag = etagOf(size);
    const hit = await serve(path, { range: "bytes=0-2", "if-range": etag });
    expect(hit.status).toBe(206);
    expect(await hit.text()).toBe(APP_JS.slice(0, 3));
    const byDate = await serve(path, { range: "bytes=0-2", "if-range": LAST_MODIFIED });
    expect(byDate.status).toBe(206);
    const stale = await serve(path, { range: "bytes=0-2", "if-range": '"0-0"' });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(APP_JS);
    const weak = await serve(path, { range: "bytes=0-2", "if-range": `W/${etag}` });
    expect(weak.status).toBe(200);
  });

  it("streams a range of a large file", async () => {
    const res = await serve("/big.bin", { range: "bytes=100000-" });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 100000-${BIG.length - 1}/${BIG.length}`);
    expect(res.headers.get("content-length")).toBe(String(BIG.length - 100000));
    expect(Buffer.from(await res.arrayBuffer()).equals(BIG.subarray(100000))).toBe(true);
  });

  it("a HEAD ignores Range", async () => {
    const res = await serve(path, { range: "bytes=0-2" }, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(size));
  });

  it("a conditional hit wins over Range", async () => {
    const res = await serve(path, { range: "bytes=0-2", "if-none-match": etagOf(size) });
    expect(res.status).toBe(304);
  });
});
