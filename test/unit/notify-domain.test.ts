import { describe, expect, it } from "vitest";
import { backoffMs, isPrivateAddress } from "../../src/domain/notify/notify.ts";

describe("the SSRF guard's address ranges", () => {
  it("refuses loopback, private, link-local, CGNAT and unique-local addresses", () => {
    for (const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
    ])
      expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:1.1.1.1"])
      expect(isPrivateAddress(ip), ip).toBe(false);
  });
  it("backs off exponentially, capped at an hour", () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([5_000, 20_000, 80_000, 320_000]);
    expect(backoffMs(20)).toBe(3_600_000);
  });
});
