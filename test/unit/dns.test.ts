import { describe, expect, it } from "vitest";
import { type CfRecord, planChanges } from "../../src/adapters/dns/cloudflare.ts";
import { retryAfterMs } from "../../src/adapters/dns/cloudflare-retry.ts";
import { parseServer } from "../../src/adapters/dns/dns-client.ts";
import { sameContent, wantedRecords } from "../../src/adapters/dns/records.ts";
import { findTsig, sign, verify } from "../../src/adapters/dns/tsig.ts";
import { Secret } from "../../src/services/core/secrets.ts";

const rec = (id: string, type: CfRecord["type"], content: string, proxied = false): CfRecord => ({
  id,
  type,
  content,
  proxied,
});

describe("planChanges", () => {
  const a = { type: "A" as const, content: "192.0.2.1" };
  it("creates what is missing and leaves what matches", () => {
    expect(planChanges([], [a], false)).toEqual({ deletes: [], patches: [], creates: [a] });
    expect(planChanges([rec("1", "A", "192.0.2.1")], [a], false)).toEqual({
      deletes: [],
      patches: [],
      creates: [],
    });
  });
  it("patches the first different record and deletes the rest", () => {
    const plan = planChanges([rec("1", "A", "192.0.2.9"), rec("2", "A", "192.0.2.8")], [a], false);
    expect(plan.patches).toEqual([{ record: rec("1", "A", "192.0.2.9"), want: a }]);
    expect(plan.deletes.map((r) => r.id)).toEqual(["2"]);
  });
  it("patches a record whose only difference is the proxied flag", () => {
    expect(planChanges([rec("1", "A", "192.0.2.1")], [a], true).patches).toHaveLength(1);
  });
  it("deletes the types the target does not use", () => {
    const plan = planChanges(
      [rec("1", "A", "192.0.2.1"), rec("2", "AAAA", "2001:db8::1")],
      [{ type: "CNAME", content: "edge.example.net" }],
      false,
    );
    expect(plan.deletes.map((r) => r.id)).toEqual(["1", "2"]);
    expect(plan.creates).toEqual([{ type: "CNAME", content: "edge.example.net" }]);
  });
});

describe("DNS helpers", () => {
  it("reads Retry-After in seconds or as a date", () => {
    const h = (v: string) => new Headers({ "retry-after": v });
    expect(retryAfterMs(h("2"))).toBe(2000);
    expect(retryAfterMs(h(new Date(10_000).toUTCString()), 4000)).toBe(6000);
    expect(retryAfterMs(new Headers())).toBeNull();
    expect(retryAfterMs(h("soon"))).toBeNull();
  });
  it("parses DNS servers", () => {
    expect(parseServer("ns1.example.com")).toEqual({ host: "ns1.example.com", port: 53 });
    expect(parseServer("127.0.0.1:5353")).toEqual({ host: "127.0.0.1", port: 5353 });
    expect(parseServer("[2001:db8::1]:54")).toEqual({ host: "2001:db8::1", port: 54 });
    expect(parseServer("2001:db8::1")).toEqual({ host: "2001:db8::1", port: 53 });
  });
  it("wants a CNAME over addresses, and refuses an empty target", () => {
    expect(wantedRecords({ ipv4: "192.0.2.1", ipv6: null, cname: "Edge.Example.net." })).toEqual([
      { type: "CNAME", content: "edge.example.net" },
    ]);
    expect(() => wantedRecords({ ipv4: null, ipv6: null, cname: null })).toThrow(
      /BERTH_PUBLIC_IPV4/,
    );
  });
  it("compares contents as DNS does", () => {
    expect(sameContent("AAAA", "2001:0db8::0:1", "2001:db8::1")).toBe(true);
    expect(sameContent("CNAME", "Edge.example.net.", "edge.example.net")).toBe(true);
    expect(sameContent("A", "192.0.2.1", "192.0.2.2")).toBe(false);
  });
});

describe("TSIG", () => {
  const key = {
    name: "berth-key",
    algorithm: "hmac-sha256" as const,
    secret: new Secret(Buffer.alloc(32, 3).toString("base64")),
  };
  it("finds the record it appended and rejects a tampered message", () => {
    const header = Buffer.from([0x12, 0x34, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const { bytes } = sign(header, key, 1_700_000_000_000);
    const tsig = findTsig(bytes);
    expect(tsig).toMatchObject({
      keyName: "berth-key",
      algorithm: "hmac-sha256",
      originalId: 0x1234,
      error: 0,
    });
    expect(tsig?.time).toBe(1_700_000_000);
    expect(bytes.readUInt16BE(10)).toBe(1);
    expect(findTsig(header)).toBeNull();
    // a request's own MAC does not verify as a response MAC: the inputs differ
    if (tsig) expect(verify(bytes, tsig, key, Buffer.alloc(32))).toBe(false);
  });
});
