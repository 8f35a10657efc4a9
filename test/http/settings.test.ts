import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { syncDomainDns } from "../../src/services/edge/dns.ts";
import { getDnsSettings } from "../../src/services/edge/dns-settings.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { type CloudflareFake, startCloudflareFake } from "../helpers/cloudflare-fake.ts";

let t: TestApp;
let cf: CloudflareFake;
beforeEach(async () => {
  t = createTestApp();
  cf = await startCloudflareFake("cf-token-9f8e7d6c5b4a39281706");
  cf.addZone("example.com");
});
afterEach(async () => {
  await t.close();
  await cf.close();
});

const TSIG_SECRET = "q1Uf0pRm3cxHn8Yg2o0K0mBvU8l8qY0nQ0d7Kf3s9WQ=";
const rfc2136 = {
  server: "127.0.0.1:5353",
  keyName: "berth-key",
  keyAlgorithm: "hmac-sha256",
  keySecret: TSIG_SECRET,
  ttl: 120,
};
const put = (body: unknown) => t.json("/api/v1/settings/dns", "PUT", body);
const get = async () =>
  (await t.request("/api/v1/settings/dns")).json() as Promise<Record<string, unknown>>;

function keyAs(role: "viewer" | "deployer" | "admin") {
  const user = t.deps.repos.users.insert(t.deps.db, {
    email: `${role}@example.com`,
    passwordHash: "x",
    role,
    services: null,
  });
  return createApiKey(t.deps, user, { name: "k", scope: role === "admin" ? "admin" : "deploy" })
    .key;
}

/** Every byte SQLite holds for this app: the database file and its write-ahead log. */
function databaseBytes(): Buffer {
  const db = path.join(t.dir, "berth.db");
  return Buffer.concat(
    [db, `${db}-wal`, `${db}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
  );
}

describe("DNS settings API", () => {
  it("starts as none and saves each provider", async () => {
    expect(await get()).toMatchObject({ provider: "none", cloudflare: null, rfc2136: null });
    const saved = await put({ provider: "rfc2136", rfc2136 });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({
      provider: "rfc2136",
      rfc2136: {
        server: "127.0.0.1:5353",
        zone: null,
        keyName: "berth-key",
        ttl: 120,
        keySecretSet: true,
      },
      target: { ipv4: null, ipv6: null, cname: null },
    });
    const cfSaved = await put({
      provider: "cloudflare",
      cloudflare: { apiToken: cf.token, proxied: true },
    });
    expect(await cfSaved.json()).toMatchObject({
      provider: "cloudflare",
      cloudflare: { proxied: true, apiTokenSet: true, baseUrl: null },
      // an omitted section is kept
      rfc2136: { keyName: "berth-key", keySecretSet: true },
    });
  });

  it.each([
    [{ provider: "ftp" }, "provider"],
    [{ provider: "cloudflare", cloudflare: { proxied: true } }, "cloudflare.apiToken"],
    [
      { provider: "cloudflare", cloudflare: { apiToken: "has spaces in it" } },
      "cloudflare.apiToken",
    ],
    [{ provider: "rfc2136" }, "rfc2136.server"],
    [{ provider: "rfc2136", rfc2136: { ...rfc2136, server: "ns1 example" } }, "rfc2136.server"],
    [{ provider: "rfc2136", rfc2136: { ...rfc2136, server: "127.0.0.1:99999" } }, "rfc2136.server"],
    [
      { provider: "rfc2136", rfc2136: { ...rfc2136, keySecret: "not base64!" } },
      "rfc2136.keySecret",
    ],
    [{ provider: "rfc2136", rfc2136: { ...rfc2136, keySecret: "c2hvcnQ=" } }, "rfc2136.keySecret"],
    [{ provider: "rfc2136", rfc2136: { ...rfc2136, keySecret: "" } }, "rfc2136.keySecret"],
    [
      { provider: "rfc2136", rfc2136: { ...rfc2136, keyAlgorithm: "hmac-md5" } },
      "rfc2136.keyAlgorithm",
    ],
    [{ provider: "rfc2136", rfc2136: { ...rfc2136, ttl: 5 } }, "rfc2136.ttl"],
    [{ provider: "rfc2136", rfc2136: { ...rfc2136, zone: "bad zone" } }, "rfc2136.zone"],
    [{ provider: "rfc2136", rfc2136: { ...rfc2136, keyName: "" } }, "rfc2136.keyName"],
  ])("refuses %j with a 422 naming %s, saving nothing", async (body, field) => {
    const res = await put(body);
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as {
      error: { code: string; field: string; message: string };
    };
    expect(error).toMatchObject({ code: "invalid_dns_settings", field });
    expect(error.message.length).toBeGreaterThan(10);
    expect(t.deps.repos.settings.section("dns")).toEqual([]);
    expect(await get()).toMatchObject({ provider: "none" });
  });

  it("answers 400 to a value of the wrong type", async () => {
    const res = await put({
      provider: "cloudflare",
      cloudflare: { apiToken: "x", proxied: "yes" },
    });
    expect(res.status).toBe(400);
  });

  it("keeps secrets encrypted at rest and out of every answer", async () => {
    await put({ provider: "rfc2136", rfc2136 });
    await put({ provider: "cloudflare", cloudflare: { apiToken: cf.token } });
    // the rows hold ciphertext only
    const rows = t.deps.repos.settings.section("dns");
    const secrets = rows.filter((r) => r.secret);
    expect(secrets.map((r) => r.key).sort()).toEqual([
      "dns.cloudflare.apiToken",
      "dns.rfc2136.keySecret",
    ]);
    for (const r of secrets) expect(r.value).toMatch(/^v1:/);
    // in the write-ahead log, and in the database file once it is checkpointed
    for (const checkpoint of [false, true]) {
      if (checkpoint) t.deps.db.$client.pragma("wal_checkpoint(TRUNCATE)");
      const bytes = databaseBytes();
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.includes(cf.token)).toBe(false);
      expect(bytes.includes(TSIG_SECRET)).toBe(false);
      expect(bytes.includes(Buffer.from(TSIG_SECRET, "base64"))).toBe(false);
    }
    // the API, the page and the audit trail never show them
    const api = JSON.stringify(await get());
    const page = await (await t.request("/settings")).text();
    const audit = JSON.stringify(await (await t.request("/api/v1/audit")).json());
    for (const text of [api, page, audit]) {
      expect(text).not.toContain(cf.token);
      expect(text).not.toContain(TSIG_SECRET);
    }
    expect(page).toContain("•••• set");
  });

  it("never logs a secret, even when a sync fails or settings are printed", async () => {
    let logged = "";
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    t.deps.logger = createLogger("trace", sink);
    t.deps.edge = { ...t.deps.edge, publicIpv4: "203.0.113.7" };
    await put({ provider: "rfc2136", rfc2136: { ...rfc2136, server: "127.0.0.1:9" } });
    await put({ provider: "cloudflare", cloudflare: { apiToken: cf.token, baseUrl: cf.baseUrl } });
    await syncDomainDns(t.deps, { hostname: "app.example.com" });
    await put({ provider: "cloudflare", cloudflare: { apiToken: "wrong-token-123" } });
    const failed = await syncDomainDns(t.deps, { hostname: "app.example.com" });
    expect(failed.status).toBe("error");
    const settings = getDnsSettings(t.deps);
    t.deps.logger.info({ settings }, "settings");
    expect(logged).toContain("DNS change failed");
    const printed = `${logged}${JSON.stringify(settings)}${inspect(settings, { depth: 9 })}`;
    for (const secret of [cf.token, "wrong-token-123", TSIG_SECRET])
      expect(printed).not.toContain(secret);
    expect(printed).toContain("[redacted]");
  });

  it("keeps a saved secret when the field is left empty, and replaces it when given", async () => {
    await put({ provider: "rfc2136", rfc2136 });
    const before = t.deps.repos.settings.get("dns.rfc2136.keySecret");
    const res = await put({
      provider: "rfc2136",
      rfc2136: { ...rfc2136, keySecret: "", ttl: 600 },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rfc2136: { ttl: 600, keySecretSet: true } });
    expect(t.deps.repos.settings.get("dns.rfc2136.keySecret")?.value).toBe(before?.value);
    const other = Buffer.alloc(32, 1).toString("base64");
    await put({ provider: "rfc2136", rfc2136: { ...rfc2136, keySecret: other } });
    const after = t.deps.repos.settings.get("dns.rfc2136.keySecret");
    expect(after?.value).not.toBe(before?.value);
    expect(t.deps.secrets.decrypt(after?.value ?? "")).toBe(other);
    // null forgets a section and its secret
    await put({ provider: "none", rfc2136: null });
    expect(t.deps.repos.settings.get("dns.rfc2136.keySecret")).toBeUndefined();
  });

  it("is for settings.manage only: a deployer and a viewer get 403", async () => {
    for (const role of ["deployer", "viewer"] as const) {
      const auth = { authorization: `Bearer ${keyAs(role)}` };
      expect((await t.anon("/api/v1/settings/dns", { headers: auth })).status).toBe(403);
      const res = await t.anon("/api/v1/settings/dns", {
        method: "PUT",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ provider: "none" }),
      });
      expect(res.status).toBe(403);
      expect(
        (await t.anon("/api/v1/settings/dns/check", { method: "POST", headers: auth })).status,
      ).toBe(403);
    }
    expect((await t.anon("/api/v1/settings/dns")).status).toBe(401);
    const admin = { authorization: `Bearer ${keyAs("admin")}` };
    expect((await t.anon("/api/v1/settings/dns", { headers: admin })).status).toBe(200);
  });

  it("checks saved settings, or unsaved ones merged over them", async () => {
    expect(
      await (await t.request("/api/v1/settings/dns/check", { method: "POST" })).json(),
    ).toEqual({
      ok: true,
      provider: "none",
      message: "No DNS provider: records are managed by hand.",
    });
    const unsaved = await t.json("/api/v1/settings/dns/check", "POST", {
      provider: "cloudflare",
      cloudflare: { apiToken: cf.token, baseUrl: cf.baseUrl },
    });
    expect(await unsaved.json()).toMatchObject({
      ok: true,
      message: expect.stringContaining("example.com"),
    });
    expect(await get()).toMatchObject({ provider: "none" });
    await put({
      provider: "cloudflare",
      cloudflare: { apiToken: "wrong-token", baseUrl: cf.baseUrl },
    });
    const failed = await t.json("/api/v1/settings/dns/check", "POST", {});
    expect(failed.status).toBe(200);
    expect(await failed.json()).toMatchObject({
      ok: false,
      provider: "cloudflare",
      message: expect.stringContaining("refused the API token"),
    });
    // an empty token in the body keeps the saved (wrong) one; a new one is used unsaved
    const fixed = await t.json("/api/v1/settings/dns/check", "POST", {
      provider: "cloudflare",
      cloudflare: { apiToken: cf.token },
    });
    expect(await fixed.json()).toMatchObject({ ok: true });
    const bad = await t.json("/api/v1/settings/dns/check", "POST", { provider: "rfc2136" });
    expect(bad.status).toBe(422);
  });

  it("is described in the OpenAPI document", async () => {
    const doc = (await (await t.request("/api/openapi.json")).json()) as {
      paths: Record<string, object>;
    };
    expect(Object.keys(doc.paths["/settings/dns"] ?? {}).sort()).toEqual(["get", "put"]);
    expect(Object.keys(doc.paths["/settings/dns/check"] ?? {})).toEqual(["post"]);
  });
});

const form = (fields: Record<string, string>, htmx = true) => ({
  method: "POST",
  headers: {
    "content-type": "application/x-www-form-urlencoded",
    ...(htmx ? { "hx-request": "true" } : {}),
  },
  body: new URLSearchParams(fields).toString(),
});

describe("Settings page", () => {
  it("is in the navigation of those who may manage settings only", async () => {
    expect(await (await t.request("/")).text()).toContain('href="/settings"');
    const deployer = { authorization: `Bearer ${keyAs("deployer")}` };
    expect(await (await t.anon("/", { headers: deployer })).text()).not.toContain(
      'href="/settings"',
    );
    const res = await t.anon("/settings", { headers: deployer });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("text/html");
    const post = await t.anon("/settings/dns", {
      ...form({ provider: "none" }),
      headers: { ...form({}).headers, ...deployer },
    });
    expect(post.status).toBe(403);
  });

  it("shows the provider choice and the fields of each provider", async () => {
    const html = await (await t.request("/settings")).text();
    for (const name of [
      'name="provider" value="none" checked',
      'name="provider" value="cloudflare"',
      'name="cloudflare.apiToken"',
      'name="cloudflare.proxied"',
      'name="rfc2136.server"',
      'name="rfc2136.zone"',
      'name="rfc2136.keyName"',
      'name="rfc2136.keyAlgorithm"',
      'name="rfc2136.keySecret"',
      'name="rfc2136.ttl"',
      "Check connection",
      "BERTH_PUBLIC_IPV4",
    ])
      expect(html).toContain(name);
    expect(html).not.toContain("baseUrl");
  });

  it("saves a provider, then shows its secret only as set", async () => {
    const res = await t.request(
      "/settings/dns",
      form({
        provider: "rfc2136",
        "rfc2136.server": "ns1.example.com",
        "rfc2136.zone": "example.com.",
        "rfc2136.keyName": "berth-key",
        "rfc2136.keyAlgorithm": "hmac-sha512",
        "rfc2136.keySecret": TSIG_SECRET,
        "rfc2136.ttl": "90",
      }),
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain("<html");
    expect(html).toContain("DNS settings saved.");
    expect(html).toContain("•••• set");
    expect(html).not.toContain(TSIG_SECRET);
    expect(await get()).toMatchObject({
      provider: "rfc2136",
      rfc2136: {
        server: "ns1.example.com",
        zone: "example.com",
        keyAlgorithm: "hmac-sha512",
        ttl: 90,
      },
    });
    // saved again with the secret left empty: kept
    const again = await t.request(
      "/settings/dns",
      form({
        provider: "rfc2136",
        "rfc2136.server": "ns1.example.com:5353",
        "rfc2136.keyName": "berth-key",
        "rfc2136.keySecret": "",
        "rfc2136.ttl": "90",
      }),
    );
    expect(again.status).toBe(200);
    expect(await get()).toMatchObject({
      rfc2136: { server: "ns1.example.com:5353", keySecretSet: true },
    });
  });

  it("puts a bad value's message beside its field, keeps what was typed, saves nothing", async () => {
    const res = await t.request(
      "/settings/dns",
      form({
        provider: "rfc2136",
        "rfc2136.server": "not a server",
        "rfc2136.keyName": "berth-key",
        "rfc2136.keySecret": TSIG_SECRET,
      }),
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('id="rfc2136.server-error"');
    expect(html).toContain('value="not a server"');
    expect(html).not.toContain(TSIG_SECRET);
    expect(t.deps.repos.settings.section("dns")).toEqual([]);
  });

  it("checks the connection with what the form holds, without saving", async () => {
    // the form has no baseUrl field: point Cloudflare at the fake through the API first
    await put({ provider: "none", cloudflare: { apiToken: "old-token", baseUrl: cf.baseUrl } });
    const ok = await t.request(
      "/settings/dns/check",
      form({ provider: "cloudflare", "cloudflare.apiToken": cf.token }),
    );
    const html = await ok.text();
    expect(html).toMatch(/^<div id="dns-check"/);
    expect(html).toContain("Connection works.");
    expect(html).toContain("example.com");
    expect(await get()).toMatchObject({ provider: "none" });
    const failed = await t.request("/settings/dns/check", form({ provider: "cloudflare" }));
    expect(await failed.text()).toContain("Check failed.");
    const invalid = await t.request("/settings/dns/check", form({ provider: "rfc2136" }));
    expect(invalid.status).toBe(422);
    expect(await invalid.text()).toContain("Enter the DNS server");
    // without htmx: the whole page, with the result
    const page = await t.request(
      "/settings/dns/check",
      form({ provider: "cloudflare", "cloudflare.apiToken": cf.token }, false),
    );
    const full = await page.text();
    expect(full).toContain("<html");
    expect(full).toContain("Connection works.");
  });
});
