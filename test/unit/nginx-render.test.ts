import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyFiles, conflictsIn, nginxComplaint } from "../../src/adapters/nginx/apply.ts";
import { probeAddress, reloadArgv, testArgv } from "../../src/adapters/nginx/commands.ts";
import {
  FINGERPRINT_REGEX,
  isServiceFile,
  previewsFileName,
  renderCommon,
  renderPreviews,
  renderVhost,
  type VhostInput,
  vhostFileName,
} from "../../src/adapters/nginx/render.ts";
import type { RunResult } from "../../src/adapters/nginx/run.ts";
import { isServerName } from "../../src/domain/edge/hostnames.ts";
import { isFingerprinted } from "../../src/http/sites/content-types.ts";
import { embeddedEdge } from "../../src/services/core/deps.ts";

const input = (over: Partial<VhostInput> = {}): VhostInput => ({
  service: "site",
  environment: "production",
  generation: 7,
  root: "/srv/berth/sites/site/production/current",
  acmeWebroot: "/srv/berth/acme",
  spaFallback: false,
  listen: ["80"],
  listenTls: ["443"],
  names: [
    { name: "production--site.apps.example.com", cert: null },
    { name: "shop.example.com", cert: null },
  ],
  redirects: [],
  ...over,
});

describe("renderVhost", () => {
  it("renders one server for the names, rooted at current, with the generation header", () => {
    const text = renderVhost(input());
    expect(text).toContain("listen 80;");
    expect(text).toContain("server_name production--site.apps.example.com shop.example.com;");
    expect(text).toContain("root /srv/berth/sites/site/production/current;");
    expect(text).toContain('add_header X-Berth-Generation "7" always;');
    expect(text).toContain("add_header Cache-Control $berth_cache always;");
    expect(text).not.toContain("set $berth_spa");
    expect(text).toContain("location ^~ /.well-known/acme-challenge/ {\n    root /srv/berth/acme;");
    // no regex and no `if` per vhost: those live in berth.conf, compiled once
    expect(text).not.toMatch(/location ~|\bif \(/);
    expect(text).not.toContain("ssl");
    expect(text.match(/server \{/g)).toHaveLength(1);
  });

  it("listens on every address it is given, IPv4 and IPv6, plain and TLS", () => {
    const cert = { fullchain: "/c/fullchain.pem", key: "/c/privkey.pem" };
    const text = renderVhost(
      input({
        listen: ["80", "[::]:80"],
        listenTls: ["443", "[::]:443"],
        names: [
          { name: "production--site.apps.example.com", cert: null },
          { name: "shop.example.com", cert },
        ],
        redirects: [{ from: "www.shop.example.com", to: "shop.example.com", cert }],
      }),
    );
    // the plain server, the redirecting HTTP server of the certified name, the www redirect
    expect(text.match(/ {2}listen 80;\n {2}listen \[::\]:80;\n/g)).toHaveLength(3);
    // the TLS server of the name and of its www redirect
    expect(
      text.match(/ {2}listen 443 ssl http2;\n {2}listen \[::\]:443 ssl http2;\n/g),
    ).toHaveLength(2);
    expect(text).toContain("return 301 https://$host$request_uri;");
  });

  it("switches the SPA fallback on", () => {
    expect(renderVhost(input({ spaFallback: true }))).toContain('set $berth_spa "1";');
  });

  it("shares its maps through berth.conf, with the fingerprint rule", () => {
    const common = renderCommon();
    for (const name of ["berth_spa", "berth_spa_uri", "berth_cache", "berth_uri_cache"]) {
      expect(common).toContain(`$${name} {`);
    }
    expect(common).toContain(
      `${FINGERPRINT_REGEX.slice(1)}" "public, max-age=31536000, immutable";`,
    );
  });

  it("gives a certified name a TLS server and an HTTP server that redirects", () => {
    const cert = {
      fullchain: "/srv/berth/certs/shop.example.com/fullchain.pem",
      key: "/srv/berth/certs/shop.example.com/privkey.pem",
    };
    const text = renderVhost(
      input({
        listenTls: ["127.0.0.1:8443"],
        names: [
          { name: "production--site.apps.example.com", cert: null },
          { name: "shop.example.com", cert },
        ],
        redirects: [{ from: "www.shop.example.com", to: "shop.example.com", cert }],
      }),
    );
    expect(text).toContain("server_name production--site.apps.example.com;");
    expect(text).toContain("listen 127.0.0.1:8443 ssl http2;");
    expect(text).toContain(`ssl_certificate ${cert.fullchain};`);
    expect(text).toContain(`ssl_certificate_key ${cert.key};`);
    expect(text).toContain("return 301 https://$host:8443$request_uri;");
    expect(text).toContain("return 301 https://shop.example.com:8443$request_uri;");
    expect(text).toContain("Strict-Transport-Security");
  });

  it("redirects www over plain HTTP to the plain name, with a non-standard port", () => {
    const text = renderVhost(
      input({
        listen: ["127.0.0.1:8080"],
        redirects: [{ from: "www.shop.example.com", to: "shop.example.com", cert: null }],
      }),
    );
    expect(text).toContain("server_name www.shop.example.com;");
    expect(text).toContain("return 301 http://shop.example.com:8080$request_uri;");
  });

  it.each<[string, Partial<VhostInput>]>([
    ["a hostname with ;", { names: [{ name: "evil.com; include /etc/passwd", cert: null }] }],
    ["a hostname with a brace", { names: [{ name: "evil.com}", cert: null }] }],
    ["a hostname with a space", { names: [{ name: "a.com b.com", cert: null }] }],
    ["a hostname with $", { names: [{ name: "$host", cert: null }] }],
    ["an upper-case hostname", { names: [{ name: "Shop.example.com", cert: null }] }],
    ["no names", { names: [] }],
    [
      "a repeated name",
      {
        names: [
          { name: "a.com", cert: null },
          { name: "a.com", cert: null },
        ],
      },
    ],
    ["a bad service name", { service: "Site;" }],
    ["a bad environment name", { environment: "prod--x" }],
    ["a relative root", { root: "srv/x" }],
    ["a root with a space", { root: "/srv/my site" }],
    ["a root with a quote", { root: '/srv/x"' }],
    ["a root with ;", { root: "/srv/x;" }],
    ["a root with $", { root: "/srv/$x" }],
    ["a root with {", { root: "/srv/{x}" }],
    ["a root with ..", { root: "/srv/../etc" }],
    ["a root with a newline", { root: "/srv/x\nroot /" }],
    ["an ACME webroot with a space", { acmeWebroot: "/srv/a b" }],
    ["a listen with words", { listen: ["80 default_server"] }],
    ["a listen with a comma", { listen: ["80,443"] }],
    ["no listen address", { listen: [] }],
    ["port 0", { listen: ["80", "0"] }],
    ["port 70000", { listenTls: ["70000"] }],
    ["a negative generation", { generation: -1 }],
    ["a fractional generation", { generation: 1.5 }],
    [
      "a certificate path with ;",
      { names: [{ name: "a.com", cert: { fullchain: "/c;", key: "/k" } }] },
    ],
    [
      "a redirect to a name it does not serve",
      { redirects: [{ from: "www.b.com", to: "b.com", cert: null }] },
    ],
  ])("refuses %s before rendering", (_what, over) => {
    expect(() => renderVhost(input(over))).toThrow(/Refused to write/);
  });

  it("the refusal is a 422 unsafe_nginx_value", () => {
    try {
      renderVhost(input({ root: "/x;y" }));
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ kind: "unprocessable", code: "unsafe_nginx_value" });
    }
  });
});

describe("renderPreviews", () => {
  it("matches <id>--<service>.<base> and looks in every environment's releases", () => {
    const text = renderPreviews({
      service: "site",
      baseDomain: "apps.example.com",
      listen: ["80", "[::]:80"],
      acmeWebroot: "/srv/acme",
      environments: [
        {
          name: "production",
          releasesDir: "/srv/sites/site/production/releases",
          spaFallback: false,
        },
        { name: "staging", releasesDir: "/srv/sites/site/staging/releases", spaFallback: true },
      ],
    });
    expect(text).toContain(
      'server_name "~^(?<berth_preview>[0-7][0-9a-hjkmnp-tv-z]{25})--site\\.apps\\.example\\.com$";',
    );
    expect(text).toContain("if (-d /srv/sites/site/production/releases/$berth_preview) {");
    expect(text).toContain("set $berth_release /srv/sites/site/staging/releases/$berth_preview;");
    expect(text).toContain('set $berth_spa "1";');
    expect(text).toContain("root $berth_release;");
    expect(text).not.toContain("X-Berth-Generation");
    expect(text).toContain("  listen 80;\n  listen [::]:80;\n");
  });

  it("refuses an unsafe releases directory or base domain", () => {
    const base = { service: "site", baseDomain: "localhost", listen: ["80"], acmeWebroot: "/a" };
    expect(() =>
      renderPreviews({
        ...base,
        environments: [{ name: "p", releasesDir: "/x/$y", spaFallback: false }],
      }),
    ).toThrow(/Refused/);
    expect(() => renderPreviews({ ...base, baseDomain: "a.com;", environments: [] })).toThrow(
      /Refused/,
    );
  });
});

describe("file names", () => {
  it("cannot collide between services, environments and previews", () => {
    // "a" + "b-c" and "a-b" + "c" would both be berth-a-b-c.conf with a single hyphen
    expect(vhostFileName("a", "b-c")).not.toBe(vhostFileName("a-b", "c"));
    expect(vhostFileName("site", "previews")).not.toBe(previewsFileName("site"));
    expect(isServiceFile("a", vhostFileName("a", "prod"))).toBe(true);
    expect(isServiceFile("a", previewsFileName("a"))).toBe(true);
    expect(isServiceFile("a", vhostFileName("a-b", "prod"))).toBe(false);
    expect(isServiceFile("a", previewsFileName("a-b"))).toBe(false);
    expect(() => vhostFileName("../x", "p")).toThrow(/Refused/);
  });
});

describe("the fingerprint rule of berth.conf", () => {
  // the very regex nginx gets, taken out of the rendered file
  const line = renderCommon()
    .split("\n")
    .find((l) => l.includes("immutable"));
  const regex = new RegExp(/"~(.*)" "public/.exec(line ?? "")?.[1] ?? "^$");
  it("is in the file", () => expect(line).toContain(FINGERPRINT_REGEX.slice(1)));
  const names = [
    "app.3f9a2c1d.js",
    "index-BxK2f9aZ.css",
    "index-B-x_2f9a.css",
    "chunk.abcdef0123.woff2",
    "_app-3f9a2c1d5e6f7a8b.js",
    "8a1b2c3d4e5f6a7b.css",
    "8a1b2c3d4e5f6a7b",
    "logo.png",
    "background2.png",
    "jquery-3.7.1.min.js",
    "settings.js",
    "banner24.png",
    "app.3f9a2c1d",
    "index-BxK2f9aZ",
    "a.b-3f9a2c1d",
    "12345678.js",
    "abcdefab.js",
    "app.aBcDeFaB.js",
    "app.a1b2c3d4.min.js",
    ".3f9a2c1d.js",
    ".3f9a2c1d",
    ".a-3f9a2c1d",
    ".Zba-4BeDdC-9y6F2f7A",
    "x-12345678.js",
    "x-ABCDEFGH.js",
    "x-AbCdEfGh.js",
    "main.BxK2f9aZx.js",
    "page.3f9a2c1d.html",
  ];
  it.each(names)("agrees with isFingerprinted on %s", (name) => {
    expect(regex.test(`/assets/${name}`)).toBe(isFingerprinted(`/assets/${name}`));
  });

  it("agrees on 20,000 random names", () => {
    const alphabet = "abcdefABCDEF0123456789xyzXYZ-_.";
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let name = rand(5) === 0 ? "." : "";
      const len = 4 + rand(24);
      for (let j = 0; j < len; j++) name += alphabet[rand(alphabet.length)];
      const p = `/x/${name}`;
      expect(regex.test(p), p).toBe(isFingerprinted(p));
    }
  });
});

describe("argv builders", () => {
  const nginx = {
    ...embeddedEdge.nginx,
    command: ["/usr/sbin/nginx", "-p", "/tmp/x/", "-c", "/tmp/x/nginx.conf"],
    reload: ["/usr/sbin/nginx", "-p", "/tmp/x/", "-c", "/tmp/x/nginx.conf", "-s", "reload"],
  };
  it("tests and reloads with the configured command", () => {
    expect(testArgv(nginx)).toEqual([
      "/usr/sbin/nginx",
      "-p",
      "/tmp/x/",
      "-c",
      "/tmp/x/nginx.conf",
      "-t",
    ]);
    expect(reloadArgv(nginx)).toEqual(nginx.reload);
    expect(reloadArgv({ ...nginx, reload: ["systemctl", "reload", "nginx"] })).toEqual([
      "systemctl",
      "reload",
      "nginx",
    ]);
  });
  it("probes a wildcard listen on loopback and a specific one on itself", () => {
    expect(probeAddress("80")).toEqual({ host: "127.0.0.1", port: 80 });
    expect(probeAddress("0.0.0.0:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(probeAddress("127.0.0.1:18081")).toEqual({ host: "127.0.0.1", port: 18081 });
    expect(probeAddress("[::]:80")).toEqual({ host: "::1", port: 80 });
    expect(probeAddress("10.0.0.5:80")).toEqual({ host: "10.0.0.5", port: 80 });
  });
});

describe("reading nginx's answers", () => {
  const stderr = `nginx: [warn] conflicting server name "shop.example.com" on 127.0.0.1:80, ignored
nginx: [warn] conflicting server name "other.example.com" on 127.0.0.1:80, ignored
nginx: the configuration file /etc/nginx/nginx.conf syntax is ok
nginx: configuration file /etc/nginx/nginx.conf test is successful
`;
  it("finds conflicts on our names only", () => {
    expect(conflictsIn(stderr, ["shop.example.com", "x.example.com"])).toEqual([
      "shop.example.com",
    ]);
    expect(conflictsIn(stderr, ["x.example.com"])).toEqual([]);
  });
  it("keeps the complaint and drops the chatter", () => {
    const text = nginxComplaint(stderr);
    expect(text).toContain('conflicting server name "shop.example.com"');
    expect(text).not.toContain("syntax is ok");
    expect(nginxComplaint("")).toBe("no message");
  });
});

describe("server names", () => {
  it("accepts site labels and refuses anything nginx could misread", () => {
    expect(isServerName("production--site.localhost")).toBe(true);
    expect(isServerName("01jd3k9x7m2q4r5s6t7v8w9x0y--site.apps.example.com")).toBe(true);
    for (const bad of [
      "",
      "a b",
      "a;b",
      "a.",
      ".a",
      "-a.com",
      "a-.com",
      "A.com",
      "*.a.com",
      "a..b",
    ]) {
      expect(isServerName(bad), bad).toBe(false);
    }
  });
});

describe("applyFiles with a recording runner", () => {
  let dir: string;
  let available: string;
  let enabled: string;
  let calls: string[][];
  const answers: RunResult[] = [];
  const run = async (argv: string[]) => {
    calls.push(argv);
    return answers.shift() ?? { code: 0, stdout: "", stderr: "" };
  };
  const base = () => ({
    sitesAvailable: available,
    sitesEnabled: enabled,
    testArgv: ["nginx", "-t"],
    reloadArgv: ["nginx", "-s", "reload"],
    run,
    serverNames: ["a.example.com"],
    verify: async () => {},
  });
  const snapshot = () =>
    [available, enabled].flatMap((d) =>
      fs.readdirSync(d).map((f) => {
        const p = path.join(d, f);
        return fs.lstatSync(p).isSymbolicLink()
          ? `${p} -> ${fs.readlinkSync(p)}`
          : `${p}: ${fs.readFileSync(p, "utf8")}`;
      }),
    );

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-apply-"));
    available = path.join(dir, "available");
    enabled = path.join(dir, "enabled");
    fs.mkdirSync(available);
    fs.mkdirSync(enabled);
    calls = [];
    answers.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes, links, tests, reloads and verifies, in that order", async () => {
    const seen: string[] = [];
    const n = await applyFiles({
      ...base(),
      changes: [{ name: "berth-a--p.conf", content: "server {}\n" }],
      verify: async () => {
        seen.push(fs.readFileSync(path.join(available, "berth-a--p.conf"), "utf8"));
      },
    });
    expect(n).toBe(1);
    expect(calls).toEqual([
      ["nginx", "-t"],
      ["nginx", "-s", "reload"],
    ]);
    expect(seen).toEqual(["server {}\n"]);
    expect(fs.readlinkSync(path.join(enabled, "berth-a--p.conf"))).toBe(
      path.join(available, "berth-a--p.conf"),
    );
    // nothing left behind from the temp-file dance
    expect(fs.readdirSync(available)).toEqual(["berth-a--p.conf"]);
  });

  it("does nothing at all when the files are already as wanted", async () => {
    await applyFiles({ ...base(), changes: [{ name: "x.conf", content: "same" }] });
    calls = [];
    expect(await applyFiles({ ...base(), changes: [{ name: "x.conf", content: "same" }] })).toBe(0);
    expect(calls).toEqual([]);
  });

  it("restores the previous bytes and link when nginx -t fails, without reloading", async () => {
    fs.writeFileSync(path.join(available, "x.conf"), "old bytes");
    fs.symlinkSync("../available/x.conf", path.join(enabled, "x.conf"));
    const before = snapshot();
    answers.push({
      code: 1,
      stdout: "",
      stderr: 'nginx: [emerg] unexpected "}" in x.conf:3\nnginx: configuration file test failed\n',
    });
    await expect(
      applyFiles({
        ...base(),
        changes: [
          { name: "x.conf", content: "new bytes" },
          { name: "y.conf", content: "y" },
        ],
      }),
    ).rejects.toThrow(/nginx rejected the configuration: nginx: \[emerg\] unexpected "}"/);
    expect(snapshot()).toEqual(before);
    expect(calls).toEqual([["nginx", "-t"]]);
  });

  it("fails on a conflicting server name that is ours", async () => {
    answers.push({
      code: 0,
      stdout: "",
      stderr: 'nginx: [warn] conflicting server name "a.example.com" on 0.0.0.0:80, ignored\n',
    });
    await expect(
      applyFiles({ ...base(), changes: [{ name: "x.conf", content: "x" }] }),
    ).rejects.toMatchObject({
      code: "edge_failed",
      message: expect.stringContaining("Another nginx site already answers to a.example.com"),
    });
    expect(snapshot()).toEqual([]);
  });

  it("reloads back to the old files when verification fails", async () => {
    fs.writeFileSync(path.join(available, "x.conf"), "old");
    fs.symlinkSync(path.join(available, "x.conf"), path.join(enabled, "x.conf"));
    const before = snapshot();
    await expect(
      applyFiles({
        ...base(),
        changes: [{ name: "x.conf", content: "new" }],
        verify: async () => {
          throw new Error("still generation 3");
        },
      }),
    ).rejects.toThrow("still generation 3");
    expect(snapshot()).toEqual(before);
    expect(calls).toEqual([
      ["nginx", "-t"],
      ["nginx", "-s", "reload"],
      ["nginx", "-t"],
      ["nginx", "-s", "reload"],
    ]);
  });

  it("removes files and links it is asked to remove, and puts them back on failure", async () => {
    fs.writeFileSync(path.join(available, "x.conf"), "old");
    fs.symlinkSync(path.join(available, "x.conf"), path.join(enabled, "x.conf"));
    const before = snapshot();
    answers.push({ code: 1, stdout: "", stderr: "boom" });
    await expect(
      applyFiles({ ...base(), changes: [{ name: "x.conf", content: null }] }),
    ).rejects.toThrow("boom");
    expect(snapshot()).toEqual(before);
    await applyFiles({ ...base(), changes: [{ name: "x.conf", content: null }] });
    expect(snapshot()).toEqual([]);
  });
});
