import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { renderVhost } from "../../src/adapters/nginx/render.ts";
import { writeTx } from "../../src/db/client.ts";
import { applyEnvironment, syncEdge } from "../../src/services/edge/edge.ts";
import { createNginxLogReader } from "../../src/services/usage/nginx-log.ts";
import {
  createTestApp,
  makeZip,
  site,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";
import { HAS_IPV6, type PrivateNginx, startNginx } from "../helpers/nginx.ts";

let ngx: PrivateNginx;
let t: TestApp;

beforeAll(async () => {
  ngx = await startNginx();
});
afterAll(() => ngx?.stop());

beforeEach(() => {
  t = createTestApp({ edge: ngx.edgeConfig() });
  fs.chmodSync(t.dir, 0o755); // nginx workers run as nobody
});
afterEach(async () => {
  // each test leaves sites-enabled empty for the next one
  for (const dir of [ngx.sitesEnabled, ngx.sitesAvailable]) {
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { force: true });
  }
  await ngx.reload();
  await t.close();
});

const ENV_HOST = "production--site.localhost";
const vhostFile = (env = "production") => path.join(ngx.sitesAvailable, `berth-site--${env}.conf`);
const vhostLink = (env = "production") => path.join(ngx.sitesEnabled, `berth-site--${env}.conf`);

type ErrorJson = { error: { code: string; message: string } };

/** Creates the service; waits until nginx's old workers (the reload's) are gone. */
async function createSite(environments = ["production"]) {
  const res = await ngx.settled(() =>
    t.json("/api/v1/services", "POST", { name: "site", environments }),
  );
  expect(res.status).toBe(201);
}

async function deploy(files: Record<string, string>, env = "production"): Promise<string> {
  const res = await uploadZip(t, "site", env, makeZip(files));
  expect(res.status).toBe(202);
  const id = ((await res.json()) as { id: string }).id;
  const d = await waitForDeployment(t, id);
  expect(d.status).toBe("live");
  return id;
}

const addDomain = (hostname: string, extra: Record<string, unknown> = {}, env = "production") =>
  t.json(`/api/v1/services/site/environments/${env}/domains`, "POST", { hostname, ...extra });
/** Adds a domain that nginx takes, and waits until only new workers answer. */
const addServed = async (hostname: string, extra: Record<string, unknown> = {}) => {
  const res = await ngx.settled(() => addDomain(hostname, extra));
  expect(res.status).toBe(201);
  return res;
};

/** A fingerprint of every file and link of sites-enabled and sites-available. */
function edgeState(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of [ngx.sitesEnabled, ngx.sitesAvailable]) {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      out[p] = st.isSymbolicLink()
        ? `-> ${fs.readlinkSync(p)}`
        : createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    }
  }
  return out;
}

function envRow(env = "production") {
  const service = t.deps.repos.services.byName("site");
  const row = service && t.deps.repos.environments.byName(service.id, env);
  if (!row) throw new Error(`no environment ${env}`);
  return row;
}

describe("custom domains through nginx", () => {
  it("writes the vhost, links it, and nginx serves the site by both names", async () => {
    await createSite();
    expect(fs.readlinkSync(vhostLink())).toBe(vhostFile());
    await deploy({ "index.html": "<h1>release one</h1>" });

    await addServed("shop.example.test", { wwwRedirect: true });
    const text = fs.readFileSync(vhostFile(), "utf8");
    expect(text).toContain(`server_name ${ENV_HOST} shop.example.test;`);
    expect(text).toContain("server_name www.shop.example.test;");
    expect(text).toContain(`root ${t.deps.layout.current("site", "production")};`);
    expect(fs.readlinkSync(vhostLink())).toBe(vhostFile());

    for (const host of [ENV_HOST, "shop.example.test"]) {
      const r = await ngx.request(host, "/");
      expect(r.status).toBe(200);
      expect(r.body).toBe("<h1>release one</h1>");
      expect(r.headers["x-berth-generation"]).toBe(String(envRow().vhostGeneration));
    }
    const www = await ngx.request("www.shop.example.test", "/a/b?c=1");
    expect(www.status).toBe(301);
    expect(www.headers.location).toBe(`http://shop.example.test:${ngx.port}/a/b?c=1`);
    // an unknown host gets nginx's default server, never a site
    expect((await ngx.request("other.example.test", "/")).status).toBe(404);
  });

  it.skipIf(!HAS_IPV6)(
    "serves the site over IPv6 too (every BERTH_NGINX_LISTEN address)",
    async () => {
      await createSite();
      await deploy({ "index.html": "<h1>over v6</h1>" });
      await addServed("shop.example.test");
      for (const host of [ENV_HOST, "shop.example.test"]) {
        const body = await new Promise<string>((resolve, reject) => {
          const req = http.get(
            { host: "::1", port: ngx.port, path: "/", headers: { host } },
            (res) => {
              let text = "";
              res.on("data", (d) => {
                text += d;
              });
              res.on("end", () => resolve(`${res.statusCode} ${text}`));
            },
          );
          req.on("error", reject);
        });
        expect(body).toBe("200 <h1>over v6</h1>");
      }
    },
  );

  it("takes a removed domain away from nginx", async () => {
    await createSite();
    await deploy({ "index.html": "one" });
    await addServed("shop.example.test");
    expect((await ngx.request("shop.example.test", "/")).body).toBe("one");
    const del = await ngx.settled(() =>
      t.request("/api/v1/services/site/environments/production/domains/shop.example.test", {
        method: "DELETE",
      }),
    );
    expect(del.status).toBe(204);
    expect(fs.readFileSync(vhostFile(), "utf8")).not.toContain("shop.example.test");
    expect((await ngx.request("shop.example.test", "/")).status).toBe(404);
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("one");
  });

  it("removes the files of a deleted environment and of a deleted service", async () => {
    await createSite(["production", "staging"]);
    expect(fs.existsSync(vhostFile("staging"))).toBe(true);
    const delEnv = await ngx.settled(() =>
      t.request("/api/v1/services/site/environments/staging", { method: "DELETE" }),
    );
    expect(delEnv.status).toBe(204);
    expect(fs.existsSync(vhostFile("staging"))).toBe(false);
    expect(fs.existsSync(vhostLink("staging"))).toBe(false);
    expect(
      fs.readFileSync(path.join(ngx.sitesAvailable, "berth-site.previews.conf"), "utf8"),
    ).not.toContain("/staging/releases");
    const delService = await ngx.settled(() =>
      t.request("/api/v1/services/site", { method: "DELETE" }),
    );
    expect(delService.status).toBe(204);
    // only the shared maps stay: harmless without vhosts, and needed by the next one
    expect(fs.readdirSync(ngx.sitesEnabled)).toEqual(["berth.conf"]);
    expect(fs.readdirSync(ngx.sitesAvailable)).toEqual(["berth.conf"]);
    expect((await ngx.request(ENV_HOST, "/")).status).toBe(404);
  });

  it("puts back at start-up what is missing or stale, and nothing else", async () => {
    await createSite(["production", "staging"]);
    fs.rmSync(vhostLink("staging"));
    fs.writeFileSync(vhostFile("staging"), "# hand-edited\n");
    const production = fs.statSync(vhostFile()).mtimeMs;
    const before = envRow("staging").vhostGeneration;
    expect(await ngx.settled(() => syncEdge(t.deps))).toBeGreaterThan(0);
    expect(fs.readlinkSync(vhostLink("staging"))).toBe(vhostFile("staging"));
    // generations are unique across Berth: larger than any other environment's
    expect(envRow("staging").vhostGeneration).toBeGreaterThan(
      Math.max(before, envRow("production").vhostGeneration),
    );
    expect(fs.statSync(vhostFile()).mtimeMs).toBe(production);
    expect(await syncEdge(t.deps)).toBe(0);
  });
});

describe("releases through nginx", () => {
  it("switches on deploy and rollback with no reload and no vhost write", async () => {
    await createSite();
    const first = await deploy({ "index.html": "v1" });
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("v1");
    const workers = ngx.workerPids();
    const vhost = fs.statSync(vhostFile()).mtimeMs;
    const generation = envRow().vhostGeneration;

    await deploy({ "index.html": "v2" });
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("v2");
    const rb = await t.json("/api/v1/services/site/environments/production/rollback", "POST", {
      deploymentId: first,
    });
    expect(rb.status).toBeLessThan(300);
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("v1");

    expect(ngx.workerPids()).toEqual(workers);
    expect(fs.statSync(vhostFile()).mtimeMs).toBe(vhost);
    expect(envRow().vhostGeneration).toBe(generation);
    expect((await ngx.request(ENV_HOST, "/")).headers["x-berth-generation"]).toBe(
      String(generation),
    );
  });

  it("serves each deployment's preview, in whichever environment it lives", async () => {
    await createSite(["production", "staging"]);
    const p1 = await deploy({ "index.html": "prod one", "404.html": "prod 404" });
    const p2 = await deploy({ "index.html": "prod two" });
    const s1 = await deploy({ "index.html": "staging one" }, "staging");
    const preview = (id: string, p = "/") => ngx.request(`${id}--site.localhost`, p);
    expect((await preview(p1)).body).toBe("prod one");
    expect((await preview(p2)).body).toBe("prod two");
    expect((await preview(s1)).body).toBe("staging one");
    const missing = await preview(p1, "/nope");
    expect([missing.status, missing.body]).toEqual([404, "prod 404"]);
    expect((await preview("01jd3k9x7m2q4r5s6t7v8w9x0y")).status).toBe(404);
    // the same id under another service is not this one's preview
    expect((await ngx.request(`${p1}--other.localhost`, "/")).status).toBe(404);
  });
});

describe("usage from nginx's access log", () => {
  it("counts the requests and bytes nginx served for an environment", async () => {
    await createSite();
    await deploy({ "index.html": "<h1>counted</h1>" });
    const added: [number, number, number][] = [];
    const reader = createNginxLogReader(
      t.deps.layout.dataDir,
      (s, e) => (s === "site" && e === "production" ? 7 : undefined),
      { add: (id, requests, bytes) => added.push([id, requests, bytes]) },
    );
    for (let i = 0; i < 3; i++) expect((await ngx.request(ENV_HOST, "/")).status).toBe(200);
    expect((await ngx.request(ENV_HOST, "/missing")).status).toBe(404);
    reader.read();
    expect(added).toHaveLength(1);
    expect(added[0]?.slice(0, 2)).toEqual([7, 4]);
    expect(added[0]?.[2]).toBeGreaterThanOrEqual(3 * "<h1>counted</h1>".length);
    reader.read();
    expect(added).toHaveLength(1); // nothing new: nothing counted twice
  });
});

describe("nginx serves like embedded serving", () => {
  const files: Record<string, string> = {
    "index.html": "<p>home</p>",
    "about.html": "<p>about</p>",
    "404.html": "<p>missing</p>",
    "docs/index.html": "<p>docs</p>",
    "empty/.keep": "",
    "app.3f9a2c1d.js": "console.log(1)",
    "assets/index-BxK2f9aZ.css": "body{}",
    "8a1b2c3d4e5f6a7b.css": "p{}",
    "logo.png": "png",
    "jquery-3.7.1.min.js": "jq",
    "data.json": '{"a":1}',
    "page.3f9a2c1d.html": "<p>hashed html</p>",
  };
  const paths = [
    "/",
    "/index.html",
    "/about",
    "/about.html",
    "/docs/",
    "/empty/",
    "/app.3f9a2c1d.js",
    "/assets/index-BxK2f9aZ.css",
    "/8a1b2c3d4e5f6a7b.css",
    "/logo.png",
    "/jquery-3.7.1.min.js",
    "/data.json",
    "/page.3f9a2c1d.html",
    "/missing",
    "/missing.js",
    "/deep/client/route",
    "/.well-known/other",
    "/404.html",
    "/assets/",
    "/about/",
    "/docs/index.html",
    "/docs/missing",
    "/data.json?v=2",
    "/a%20b",
  ];
  const accepts = ["text/html,application/xhtml+xml", "application/json", ""];

  async function compare() {
    const rows: string[] = [];
    for (const p of paths) {
      for (const accept of accepts) {
        const headers: Record<string, string> = accept ? { accept } : {};
        const e = await t.app.request(`http://${ENV_HOST}${p}`, {
          headers: { host: ENV_HOST, ...headers },
        });
        const n = await ngx.request(ENV_HOST, p, { headers });
        const embedded = [e.status, e.headers.get("cache-control"), await e.text()];
        const viaNginx = [n.status, n.headers["cache-control"], n.body];
        rows.push(
          `${p} [${accept}] embedded=${JSON.stringify(embedded)} nginx=${JSON.stringify(viaNginx)}`,
        );
        expect(viaNginx, `${p} with Accept ${accept || "(none)"}`).toEqual(embedded);
        expect(n.headers["x-content-type-options"]).toBe("nosniff");
      }
    }
    return rows;
  }

  it("gives the same status, Cache-Control and body, without and with the SPA fallback", async () => {
    await createSite();
    await deploy(files);
    await compare();
    const patch = await ngx.settled(() =>
      t.json("/api/v1/services/site/environments/production", "PATCH", { spaFallback: true }),
    );
    expect(patch.status).toBe(200);
    expect(fs.readFileSync(vhostFile(), "utf8")).toContain('set $berth_spa "1";');
    expect(fs.readFileSync(vhostFile("production"), "utf8")).toContain("try_files $uri.html");
    await compare();
  });

  it("redirects a directory to its slash and gzips text", async () => {
    await createSite();
    await deploy({ ...files, "big.css": `body { color: red; }\n`.repeat(200) });
    const dir = await ngx.request(ENV_HOST, "/docs?x=1");
    expect(dir.status).toBe(301);
    expect(dir.headers.location).toBe("/docs/?x=1");
    const e = await site(t, ENV_HOST, "/docs?x=1");
    expect(e.headers.get("location")).toBe("/docs/?x=1");
    expect(dir.headers["cache-control"]).toBe(e.headers.get("cache-control"));
    const gz = await ngx.request(ENV_HOST, "/big.css", { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.headers.vary).toContain("Accept-Encoding");
    expect(gz.headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  });

  it("always answers ACME challenges from the webroot", async () => {
    await createSite();
    const dir = path.join(t.deps.layout.acmeWebroot, ".well-known/acme-challenge");
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.chmodSync(t.deps.layout.acmeWebroot, 0o755);
    fs.writeFileSync(path.join(dir, "tok123"), "tok123.thumb");
    await addServed("shop.example.test");
    for (const host of [ENV_HOST, "shop.example.test"]) {
      const r = await ngx.request(host, "/.well-known/acme-challenge/tok123");
      expect([r.status, r.body]).toEqual([200, "tok123.thumb"]);
    }
  });
});

describe("TLS when a certificate is on disk", () => {
  /** A self-signed certificate where certificateFor looks: <data>/certs/<host>/. */
  function selfSigned(hostname: string, names: string[]): string {
    const files = t.deps.layout.cert(hostname);
    fs.mkdirSync(path.dirname(files.fullchain), { recursive: true });
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        `/CN=${hostname}`,
        "-addext",
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
        "-keyout",
        files.key,
        "-out",
        files.fullchain,
      ],
      { stdio: "ignore" },
    );
    return fs.readFileSync(files.fullchain, "utf8");
  }

  it("serves the domain over TLS and sends plain HTTP there, except ACME challenges", async () => {
    await createSite();
    await deploy({ "index.html": "secure" });
    const ca = selfSigned("shop.example.test", ["shop.example.test", "www.shop.example.test"]);
    await addServed("shop.example.test", { wwwRedirect: true });
    const text = fs.readFileSync(vhostFile(), "utf8");
    expect(text).toContain(`listen 127.0.0.1:${ngx.tlsPort} ssl`);
    expect(text).toContain(`ssl_certificate ${t.deps.layout.cert("shop.example.test").fullchain};`);

    const tls = await ngx.requestTls("shop.example.test", "/", { ca });
    expect([tls.status, tls.body]).toEqual([200, "secure"]);
    expect(tls.peerCertificate.subject.CN).toBe("shop.example.test");
    expect(tls.headers["strict-transport-security"]).toContain("max-age=");
    expect(tls.headers["cache-control"]).toBe("no-cache");

    const plain = await ngx.request("shop.example.test", "/a?b=1");
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://shop.example.test:${ngx.tlsPort}/a?b=1`);
    const www = await ngx.request("www.shop.example.test", "/x");
    expect(www.headers.location).toBe(`https://shop.example.test:${ngx.tlsPort}/x`);
    const wwwTls = await ngx.requestTls("www.shop.example.test", "/x", { ca });
    expect([wwwTls.status, wwwTls.headers.location]).toEqual([
      301,
      `https://shop.example.test:${ngx.tlsPort}/x`,
    ]);

    const dir = path.join(t.deps.layout.acmeWebroot, ".well-known/acme-challenge");
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(t.deps.layout.acmeWebroot, 0o755);
    fs.writeFileSync(path.join(dir, "renew"), "renew.thumb");
    const acme = await ngx.request("shop.example.test", "/.well-known/acme-challenge/renew");
    expect([acme.status, acme.body]).toEqual([200, "renew.thumb"]);
    // the environment's own name has no certificate: still plain HTTP
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("secure");
  });
});

describe("a change nginx refuses leaves everything as it was", () => {
  it("an unsafe value never reaches a file or nginx", async () => {
    await createSite();
    await deploy({ "index.html": "safe" });
    expect(() =>
      renderVhost({
        service: "site",
        environment: "production",
        generation: 1,
        root: "/srv/x",
        acmeWebroot: "/srv/acme",
        spaFallback: false,
        listen: ["80"],
        listenTls: ["443"],
        names: [{ name: "evil.test; include /etc/passwd", cert: null }],
        redirects: [],
      }),
    ).toThrow(/Refused to write/);
    // a row that skipped validation (a bug, or someone editing the database)
    const env = envRow();
    writeTx(t.deps.db, (tx) =>
      t.deps.repos.domains.insert(tx, {
        environmentId: env.id,
        hostname: "evil.test;return 200 pwned",
        wwwRedirect: false,
      }),
    );
    const before = edgeState();
    const workers = ngx.workerPids();
    await expect(applyEnvironment(t.deps, env.id)).rejects.toThrow(/Refused to write/);
    expect(edgeState()).toEqual(before);
    expect(ngx.workerPids()).toEqual(workers);
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("safe");
  });

  it("a hostname another vhost already claims: 409, files byte-identical, old config served", async () => {
    await createSite();
    await deploy({ "index.html": "mine" });
    fs.writeFileSync(
      path.join(ngx.sitesEnabled, "other.conf"),
      `server { listen 127.0.0.1:${ngx.port}; server_name shop.example.test; return 200 "theirs"; }\n`,
    );
    await ngx.reload();
    const before = edgeState();
    const generation = envRow().vhostGeneration;

    const res = await addDomain("shop.example.test");
    expect(res.status).toBe(409);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe("edge_failed");
    expect(body.error.message).toContain('conflicting server name "shop.example.test"');

    expect(edgeState()).toEqual(before);
    expect(envRow().vhostGeneration).toBe(generation);
    expect((await t.request("/api/v1/services/site/environments/production/domains")).ok).toBe(
      true,
    );
    expect(t.deps.repos.domains.byHostname("shop.example.test")).toBeUndefined();
    expect((await ngx.request("shop.example.test", "/")).body).toBe("theirs");
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("mine");
    const events = t.deps.repos.environments.events(envRow().id);
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(["edge.failed", "domain.failed"]),
    );
    expect(events.find((e) => e.action === "edge.failed")?.message).toContain(
      "conflicting server name",
    );
  });

  it("nginx -t failing: 409 with nginx's stderr, files byte-identical, nothing reloaded", async () => {
    await createSite();
    await deploy({ "index.html": "still here" });
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("still here");
    // a second default server for the same listen: the running nginx keeps its config,
    // but every nginx -t fails from now on
    fs.writeFileSync(
      path.join(ngx.sitesEnabled, "zz-broken.conf"),
      `server { listen 127.0.0.1:${ngx.port} default_server; server_name broken.test; }\n`,
    );
    const before = edgeState();
    const workers = ngx.workerPids();

    const res = await addDomain("shop.example.test", { wwwRedirect: true });
    expect(res.status).toBe(409);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe("edge_failed");
    expect(body.error.message).toContain("nginx rejected the configuration");
    expect(body.error.message).toContain("duplicate default server");

    expect(edgeState()).toEqual(before);
    expect(ngx.workerPids()).toEqual(workers);
    expect(t.deps.repos.domains.byHostname("shop.example.test")).toBeUndefined();
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("still here");
    expect((await ngx.request("shop.example.test", "/")).status).toBe(404);
    const failed = t.deps.repos.environments
      .events(envRow().id)
      .find((e) => e.action === "edge.failed");
    expect(failed?.message).toContain("duplicate default server");

    // the UI says the same beside the form
    const ui = await t.request("/services/site/environments/production/domains", {
      method: "POST",
      headers: { "HX-Request": "true" },
      body: new URLSearchParams({ hostname: "shop.example.test" }),
    });
    expect(ui.status).toBe(409);
    expect(await ui.text()).toContain("duplicate default server");
    expect(edgeState()).toEqual(before);
  });

  it("a reload that does not take: verification fails, files restored, old config served", async () => {
    await createSite();
    await deploy({ "index.html": "verified" });
    const before = edgeState();
    // a reload command that does nothing: nginx -t passes, nginx keeps the old vhost
    const edge = ngx.edgeConfig();
    t.deps.edge = { ...edge, nginx: { ...edge.nginx, reload: ["/bin/true"] } };
    const started = Date.now();
    const res = await addDomain("shop.example.test");
    expect(res.status).toBe(409);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.message).toContain("did not switch to the new configuration");
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(edgeState()).toEqual(before);
    expect(t.deps.repos.domains.byHostname("shop.example.test")).toBeUndefined();
    expect((await ngx.request(ENV_HOST, "/")).body).toBe("verified");
  });

  it("refuses to create an environment nginx will not serve, and keeps no row", async () => {
    await createSite();
    fs.writeFileSync(
      path.join(ngx.sitesEnabled, "zz-broken.conf"),
      `server { listen 127.0.0.1:${ngx.port} default_server; server_name broken.test; }\n`,
    );
    const before = edgeState();
    const res = await t.json("/api/v1/services/site/environments", "POST", { name: "staging" });
    expect(res.status).toBe(409);
    expect(edgeState()).toEqual(before);
    const service = t.deps.repos.services.byName("site");
    expect(service && t.deps.repos.environments.byName(service.id, "staging")).toBeUndefined();
  });
});
