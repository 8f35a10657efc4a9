import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rfc2136Provider } from "../../src/adapters/dns/rfc2136.ts";
import type { DnsTarget } from "../../src/adapters/dns/types.ts";
import { Secret } from "../../src/services/core/secrets.ts";
import { removeDomainDns, syncDomainDns } from "../../src/services/edge/dns.ts";
import { createTestApp } from "../helpers/app.ts";
import { type Bind, startBind } from "../helpers/bind.ts";

let bind: Bind;
beforeAll(async () => {
  bind = await startBind();
});
afterAll(() => bind?.stop());

const provider = (o: { secret?: string; keyName?: string; zone?: string | null } = {}) =>
  rfc2136Provider({
    server: bind.server,
    zone: o.zone === undefined ? null : o.zone,
    key: {
      name: o.keyName ?? bind.keyName,
      algorithm: "hmac-sha256",
      secret: new Secret(o.secret ?? bind.secret),
    },
    ttl: 120,
  });
const ip: DnsTarget = { ipv4: "192.0.2.10", ipv6: "2001:db8::10", cname: null };
const wrongSecret = Buffer.alloc(32, 7).toString("base64");

describe("RFC 2136 provider against a real BIND with TSIG", () => {
  it("adds records that dig then shows, and removes them again", async () => {
    const p = provider();
    expect(await p.upsert("app.example.test", ip)).toEqual({ writes: 1 });
    expect(await bind.dig("app.example.test", "A")).toEqual(["192.0.2.10"]);
    expect(await bind.dig("app.example.test", "AAAA")).toEqual(["2001:db8::10"]);
    expect(await p.remove("app.example.test")).toEqual({ writes: 1 });
    expect(await bind.dig("app.example.test", "A")).toEqual([]);
    expect(await bind.dig("app.example.test", "AAAA")).toEqual([]);
  });

  it("changes nothing when the records already match (the serial stays)", async () => {
    const p = provider();
    await p.upsert("same.example.test", ip);
    const serial = await bind.serial();
    expect(await p.upsert("same.example.test", { ...ip, ipv6: "2001:0db8:0::10" })).toEqual({
      writes: 0,
    });
    expect(await bind.serial()).toBe(serial);
    expect(await p.remove("nothing-here.example.test")).toEqual({ writes: 0 });
    expect(await bind.serial()).toBe(serial);
  });

  it("switches between A and CNAME in one update", async () => {
    const p = provider({ zone: "example.test" });
    const cname = { ipv4: null, ipv6: null, cname: "edge.example.net" };
    await p.upsert("switch.example.test", ip);
    expect(await p.upsert("switch.example.test", cname)).toEqual({ writes: 1 });
    expect(await bind.dig("switch.example.test", "CNAME")).toEqual(["edge.example.net."]);
    expect(await bind.dig("switch.example.test", "AAAA")).toEqual(["edge.example.net."]);
    expect(await p.upsert("switch.example.test", { ...ip, ipv6: null })).toEqual({ writes: 1 });
    expect(await bind.dig("switch.example.test", "A")).toEqual(["192.0.2.10"]);
    expect(await bind.dig("switch.example.test", "CNAME")).toEqual([]);
  });

  it("leaves other record types alone, and says so when they block a CNAME", async () => {
    const p = provider();
    await p.upsert("txt.example.test", ip);
    expect(await p.remove("txt.example.test")).toEqual({ writes: 1 });
    expect(await bind.dig("txt.example.test", "TXT")).toEqual(['"left alone"']);
    // BIND answers NOERROR but ignores a CNAME beside the TXT: Berth reads back and says why
    await expect(
      p.upsert("txt.example.test", { ipv4: null, ipv6: null, cname: "edge.example.net" }),
    ).rejects.toMatchObject({
      code: "dns_update_ignored",
      message: expect.stringContaining("a CNAME cannot share its name"),
    });
  });

  it("refuses with a clear error on a wrong key and leaves the zone unchanged", async () => {
    const serial = await bind.serial();
    await expect(
      provider({ secret: wrongSecret }).upsert("bad.example.test", ip),
    ).rejects.toMatchObject({
      code: "dns_tsig_rejected",
      message: expect.stringMatching(/refused the update: wrong TSIG key\? \(BADSIG/),
    });
    await expect(
      provider({ keyName: "unknown-key", zone: "example.test" }).upsert("bad.example.test", ip),
    ).rejects.toMatchObject({ message: expect.stringContaining("BADKEY") });
    expect(await bind.dig("bad.example.test", "A")).toEqual([]);
    expect(await bind.serial()).toBe(serial);
  });

  it("finds the zone by SOA queries, or says none contains the name", async () => {
    expect(await provider().upsert("a.b.c.example.test", { ...ip, ipv6: null })).toEqual({
      writes: 1,
    });
    expect(await bind.dig("a.b.c.example.test", "A")).toEqual(["192.0.2.10"]);
    await expect(provider().upsert("app.elsewhere.test", ip)).rejects.toMatchObject({
      code: "dns_zone_not_found",
    });
    await expect(
      provider({ zone: "example.test" }).upsert("app.elsewhere.test", ip),
    ).rejects.toMatchObject({ code: "dns_zone_mismatch" });
  });

  it("check() proves the key with a signed SOA query", async () => {
    expect(await provider({ zone: "example.test" }).check()).toMatch(
      /serves example\.test \(serial \d+\) and accepted TSIG key "berth-key"/,
    );
    expect(await provider().check()).toContain('accepted TSIG key "berth-key"');
    await expect(
      provider({ secret: wrongSecret, zone: "example.test" }).check(),
    ).rejects.toMatchObject({
      message: expect.stringContaining("wrong TSIG key?"),
    });
    await expect(provider({ zone: "other.test" }).check()).rejects.toMatchObject({
      code: "dns_zone_not_served",
    });
  });

  it("times out with a clear error when the server never answers", async () => {
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const p = rfc2136Provider({
        server: `127.0.0.1:${port}`,
        zone: "example.test",
        key: { name: bind.keyName, algorithm: "hmac-sha256", secret: new Secret(bind.secret) },
        ttl: 60,
        timeoutMs: 150,
      });
      await expect(p.upsert("app.example.test", ip)).rejects.toMatchObject({
        code: "dns_timeout",
        message: expect.stringContaining(`127.0.0.1:${port} did not answer`),
      });
    } finally {
      silent.close();
    }
  });

  it("syncs through the settings saved by the API", async () => {
    const t = createTestApp();
    try {
      t.deps.edge = {
        ...t.deps.edge,
        publicIpv4: "192.0.2.77",
        publicIpv6: null,
        cnameTarget: null,
      };
      const res = await t.json("/api/v1/settings/dns", "PUT", {
        provider: "rfc2136",
        rfc2136: { server: bind.server, keyName: bind.keyName, keySecret: bind.secret, ttl: 60 },
      });
      expect(res.status).toBe(200);
      const check = await t.request("/api/v1/settings/dns/check", { method: "POST" });
      expect(await check.json()).toMatchObject({ ok: true, provider: "rfc2136" });
      expect(
        await syncDomainDns(t.deps, { hostname: "shop.example.test", wwwRedirect: true }),
      ).toMatchObject({
        status: "ok",
        writes: 2,
      });
      expect(await bind.dig("www.shop.example.test", "A")).toEqual(["192.0.2.77"]);
      expect(
        await syncDomainDns(t.deps, { hostname: "shop.example.test", wwwRedirect: true }),
      ).toMatchObject({
        status: "ok",
        writes: 0,
      });
      expect(
        await removeDomainDns(t.deps, "shop.example.test", { wwwRedirect: true }),
      ).toMatchObject({
        status: "ok",
        writes: 2,
      });
      expect(await bind.dig("shop.example.test", "A")).toEqual([]);
      // a wrong key saved: the sync reports it instead of throwing
      await t.json("/api/v1/settings/dns", "PUT", {
        provider: "rfc2136",
        rfc2136: { server: bind.server, keyName: bind.keyName, keySecret: wrongSecret },
      });
      const bad = await syncDomainDns(t.deps, { hostname: "shop.example.test" });
      expect(bad.status).toBe("error");
      expect(bad.message).toContain("wrong TSIG key?");
      expect(await (await t.json("/api/v1/settings/dns/check", "POST", {})).json()).toMatchObject({
        ok: false,
        message: expect.stringContaining("wrong TSIG key?"),
      });
    } finally {
      await t.close();
    }
  });
});

describe("RFC 2136 with hmac-sha512", () => {
  it("signs and verifies with a SHA-512 key", async () => {
    const b = await startBind({ algorithm: "hmac-sha512", zone: "sha512.test" });
    try {
      const p = rfc2136Provider({
        server: b.server,
        zone: null,
        key: { name: b.keyName, algorithm: "hmac-sha512", secret: new Secret(b.secret) },
        ttl: 60,
      });
      expect(
        await p.upsert("x.sha512.test", { ipv4: "192.0.2.5", ipv6: null, cname: null }),
      ).toEqual({
        writes: 1,
      });
      expect(await b.dig("x.sha512.test", "A")).toEqual(["192.0.2.5"]);
    } finally {
      await b.stop();
    }
  });
});
