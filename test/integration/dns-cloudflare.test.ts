import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cloudflareProvider } from "../../src/adapters/dns/cloudflare.ts";
import type { RetryPolicy } from "../../src/adapters/dns/cloudflare-retry.ts";
import type { DnsTarget } from "../../src/adapters/dns/types.ts";
import { Secret } from "../../src/services/core/secrets.ts";
import { removeDomainDns, syncDomainDns } from "../../src/services/edge/dns.ts";
import { createTestApp } from "../helpers/app.ts";
import { type CloudflareFake, startCloudflareFake } from "../helpers/cloudflare-fake.ts";

let cf: CloudflareFake;
beforeEach(async () => {
  cf = await startCloudflareFake();
  cf.addZone("example.com");
});
afterEach(() => cf.close());

const fast: Partial<RetryPolicy> = { baseDelayMs: 5, maxDelayMs: 20 };
const provider = (o: { proxied?: boolean; retry?: Partial<RetryPolicy>; token?: string } = {}) =>
  cloudflareProvider({
    apiToken: new Secret(o.token ?? cf.token),
    proxied: o.proxied ?? false,
    baseUrl: cf.baseUrl,
    retry: { ...fast, ...o.retry },
  });
const ip: DnsTarget = { ipv4: "203.0.113.7", ipv6: "2001:db8::7", cname: null };
const cname: DnsTarget = { ipv4: null, ipv6: null, cname: "edge.example.net" };
const summary = (name: string) =>
  cf
    .records(name)
    .map((r) => `${r.type} ${r.content}${r.proxied ? " proxied" : ""}`)
    .sort();
const writes = () => cf.writes().map((r) => r.method);

describe("Cloudflare provider (official SDK against a local fake)", () => {
  it("creates A and AAAA, then leaves them alone on the next upsert", async () => {
    const p = provider();
    expect(await p.upsert("app.example.com", ip)).toEqual({ writes: 2 });
    expect(summary("app.example.com")).toEqual(["A 203.0.113.7", "AAAA 2001:db8::7"]);
    cf.clearLog();
    // the same address in another spelling is the same record
    expect(await p.upsert("App.Example.com.", { ...ip, ipv6: "2001:0db8:0:0::7" })).toEqual({
      writes: 0,
    });
    expect(writes()).toEqual([]);
  });

  it("patches a record whose content or proxied flag differs", async () => {
    const old = cf.addRecord({ type: "A", name: "app.example.com", content: "198.51.100.1" });
    const p = provider();
    expect(await p.upsert("app.example.com", { ...ip, ipv6: null })).toEqual({ writes: 1 });
    expect(writes()).toEqual(["PATCH"]);
    expect(cf.records("app.example.com")).toMatchObject([{ id: old.id, content: "203.0.113.7" }]);
    cf.clearLog();
    expect(
      await provider({ proxied: true }).upsert("app.example.com", { ...ip, ipv6: null }),
    ).toEqual({
      writes: 1,
    });
    expect(summary("app.example.com")).toEqual(["A 203.0.113.7 proxied"]);
    // a per-call proxied wins over the setting
    expect(
      await provider({ proxied: true }).upsert("app.example.com", ip, { proxied: false }),
    ).toEqual({ writes: 2 });
    expect(summary("app.example.com")).toEqual(["A 203.0.113.7", "AAAA 2001:db8::7"]);
  });

  it("deletes duplicates, keeping the record that already matches", async () => {
    cf.addRecord({ type: "A", name: "app.example.com", content: "198.51.100.1" });
    const keep = cf.addRecord({ type: "A", name: "app.example.com", content: "203.0.113.7" });
    cf.addRecord({ type: "A", name: "app.example.com", content: "198.51.100.2" });
    const txt = cf.addRecord({ type: "TXT", name: "app.example.com", content: "verify=1" });
    expect(await provider().upsert("app.example.com", { ...ip, ipv6: null })).toEqual({
      writes: 2,
    });
    expect(writes()).toEqual(["DELETE", "DELETE"]);
    expect(cf.records("app.example.com").map((r) => r.id)).toEqual([keep.id, txt.id]);
  });

  it("writes a CNAME instead of A/AAAA, and back, leaving other types alone", async () => {
    cf.addRecord({ type: "TXT", name: "app.example.com", content: "keep me" });
    const p = provider();
    await p.upsert("app.example.com", ip);
    cf.clearLog();
    expect(await p.upsert("app.example.com", cname)).toEqual({ writes: 3 });
    // the A/AAAA go first: Cloudflare refuses a CNAME beside them
    expect(writes()).toEqual(["DELETE", "DELETE", "POST"]);
    expect(summary("app.example.com")).toEqual(["CNAME edge.example.net", "TXT keep me"]);
    cf.clearLog();
    expect(await p.upsert("app.example.com", { ...ip, ipv6: null })).toEqual({ writes: 2 });
    expect(writes()).toEqual(["DELETE", "POST"]);
    expect(summary("app.example.com")).toEqual(["A 203.0.113.7", "TXT keep me"]);
  });

  it("treats 81057/81058 on create as done and 81044 on delete as already gone", async () => {
    const p = provider();
    // the record appears between Berth's read and its create: Cloudflare answers 81058
    cf.before = (req) => {
      if (req.method === "POST" && cf.records("race.example.com").length === 0)
        cf.addRecord({ type: "A", name: "race.example.com", content: "203.0.113.7" });
    };
    expect(await p.upsert("race.example.com", { ...ip, ipv6: null })).toEqual({ writes: 1 });
    expect(cf.writes().map((r) => r.status)).toEqual([400]);
    expect(summary("race.example.com")).toEqual(["A 203.0.113.7"]);
    // and a CNAME made by someone else in between: 81057
    cf.before = (req) => {
      if (req.method === "POST" && cf.records("c.example.com").length === 0)
        cf.addRecord({ type: "CNAME", name: "c.example.com", content: "edge.example.net" });
    };
    expect(await p.upsert("c.example.com", cname)).toEqual({ writes: 1 });
    // the record vanishes between Berth's read and its delete: 81044
    cf.before = (req) => {
      if (req.method === "DELETE")
        for (const r of cf.records("race.example.com")) cf.deleteRecord(r.id);
    };
    cf.clearLog();
    expect(await p.remove("race.example.com")).toEqual({ writes: 1 });
    expect(cf.writes().map((r) => r.status)).toEqual([404]);
    // and before a patch: the record is made again
    const gone = cf.addRecord({ type: "A", name: "gone.example.com", content: "198.51.100.1" });
    cf.before = (req) => {
      if (req.method === "PATCH") cf.deleteRecord(gone.id);
    };
    cf.clearLog();
    await p.upsert("gone.example.com", { ...ip, ipv6: null });
    expect(writes()).toEqual(["PATCH", "POST"]);
    expect(summary("gone.example.com")).toEqual(["A 203.0.113.7"]);
  });

  it("picks the longest zone that contains the name, across pages of zones", async () => {
    for (let i = 0; i < 120; i++) cf.addZone(`zone${i}.test`);
    cf.addZone("deep.example.com");
    await provider().upsert("a.b.deep.example.com", { ...ip, ipv6: null });
    expect(cf.records("a.b.deep.example.com")[0]?.zone_name).toBe("deep.example.com");
    const zoneLists = cf.requests.filter((r) => r.path.endsWith("/zones"));
    expect(zoneLists).toHaveLength(3); // 122 zones, 50 a page: no extra empty page
    await expect(provider().upsert("app.other.org", ip)).rejects.toMatchObject({
      code: "dns_zone_not_found",
      message: expect.stringContaining("app.other.org"),
    });
  });

  it("honours 429 Retry-After before trying again", async () => {
    cf.inject({ status: 429, retryAfter: "1", method: "GET" });
    const started = Date.now();
    expect(await provider().upsert("app.example.com", ip)).toEqual({ writes: 2 });
    const [limited, retried] = cf.requests;
    expect(limited?.status).toBe(429);
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("fails at once, saying when, if Retry-After is longer than it will wait", async () => {
    cf.inject({ status: 429, retryAfter: "3600" });
    const started = Date.now();
    await expect(provider().upsert("app.example.com", ip)).rejects.toMatchObject({
      code: "dns_rate_limited",
      message: expect.stringContaining("3600 s"),
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(cf.requests).toHaveLength(1);
  });

  it("retries 5xx with backoff, and gives up after a bounded number of tries", async () => {
    cf.inject({ status: 502, method: "POST" }, { status: 503, method: "POST" });
    expect(await provider().upsert("app.example.com", { ...ip, ipv6: null })).toEqual({
      writes: 1,
    });
    expect(cf.writes().map((r) => r.status)).toEqual([502, 503, 200]);
    cf.clearLog();
    cf.inject(...Array.from({ length: 10 }, () => ({ status: 500 })));
    await expect(
      provider({ retry: { attempts: 3 } }).upsert("b.example.com", ip),
    ).rejects.toMatchObject({
      code: "dns_unavailable",
      message: expect.stringContaining("HTTP 500 3 times"),
    });
    expect(cf.requests).toHaveLength(3);
  });

  it("says clearly when the token is refused, and check() lists zones", async () => {
    await expect(provider({ token: "wrong" }).check()).rejects.toMatchObject({
      code: "dns_auth_failed",
      message: expect.stringContaining("refused the API token"),
    });
    expect(await provider().check()).toBe("The API token works and sees 1 zone: example.com.");
  });

  it("removes the A/AAAA/CNAME records of a name, idempotently", async () => {
    const p = provider();
    await p.upsert("app.example.com", ip);
    cf.addRecord({ type: "TXT", name: "app.example.com", content: "keep" });
    expect(await p.remove("app.example.com")).toEqual({ writes: 2 });
    expect(summary("app.example.com")).toEqual(["TXT keep"]);
    expect(await p.remove("app.example.com")).toEqual({ writes: 0 });
  });
});

describe("syncDomainDns with Cloudflare saved in Settings", () => {
  it("a re-sync of 100 domains makes 0 writes", async () => {
    const t = createTestApp();
    try {
      t.deps.edge = {
        ...t.deps.edge,
        publicIpv4: "203.0.113.7",
        publicIpv6: null,
        cnameTarget: null,
      };
      const saved = await t.json("/api/v1/settings/dns", "PUT", {
        provider: "cloudflare",
        cloudflare: { apiToken: cf.token, proxied: false, baseUrl: cf.baseUrl },
      });
      expect(saved.status).toBe(200);
      const hosts = Array.from({ length: 100 }, (_, i) => `site${i}.example.com`);
      const first = await Promise.all(hosts.map((hostname) => syncDomainDns(t.deps, { hostname })));
      expect(first.every((r) => r.status === "ok" && r.writes === 1)).toBe(true);
      expect(cf.writes()).toHaveLength(100);
      cf.clearLog();
      const again = await Promise.all(hosts.map((hostname) => syncDomainDns(t.deps, { hostname })));
      expect(again.every((r) => r.status === "ok" && r.writes === 0)).toBe(true);
      expect(again[0]?.message).toContain("already up to date");
      expect(cf.writes()).toHaveLength(0);
      // the zone list is cached between syncs: only the per-name reads remain
      expect(cf.requests.filter((r) => r.path.endsWith("/zones"))).toHaveLength(0);

      const www = await syncDomainDns(t.deps, { hostname: "shop.example.com", wwwRedirect: true });
      expect(www).toMatchObject({ status: "ok", writes: 2 });
      expect(summary("www.shop.example.com")).toEqual(["A 203.0.113.7"]);
      expect(
        await removeDomainDns(t.deps, "shop.example.com", { wwwRedirect: true }),
      ).toMatchObject({
        status: "ok",
        writes: 2,
      });
      expect(cf.records("shop.example.com")).toEqual([]);

      const failing = await syncDomainDns(t.deps, { hostname: "app.elsewhere.org" });
      expect(failing).toMatchObject({ status: "error", message: expect.stringContaining("zone") });
    } finally {
      await t.close();
    }
  });

  it("reports a missing target naming the variables, and 'none' without a provider", async () => {
    const t = createTestApp();
    try {
      expect(await syncDomainDns(t.deps, { hostname: "app.example.com" })).toMatchObject({
        status: "none",
      });
      await t.json("/api/v1/settings/dns", "PUT", {
        provider: "cloudflare",
        cloudflare: { apiToken: cf.token, baseUrl: cf.baseUrl },
      });
      const r = await syncDomainDns(t.deps, { hostname: "app.example.com" });
      expect(r.status).toBe("error");
      expect(r.message).toContain("BERTH_PUBLIC_IPV4");
      expect(r.message).toContain("BERTH_DNS_CNAME_TARGET");
      expect(cf.requests).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});
