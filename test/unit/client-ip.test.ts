import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { clientIp } from "../../src/http/middleware/auth.ts";

async function ipOf(peer: string, forwarded: string | undefined, trusted: string[]) {
  const app = new Hono();
  app.get("/", (c) => c.text(clientIp(c, trusted)));
  const headers: Record<string, string> = forwarded ? { "x-forwarded-for": forwarded } : {};
  const res = await app.request(
    "/",
    { headers },
    { incoming: { socket: { remoteAddress: peer } } },
  );
  return res.text();
}

describe("client address", () => {
  it("is the socket peer unless that peer is a trusted proxy", async () => {
    expect(await ipOf("203.0.113.9", "198.51.100.1", [])).toBe("203.0.113.9");
    expect(await ipOf("203.0.113.9", "198.51.100.1", ["127.0.0.1"])).toBe("203.0.113.9");
  });
  it("is the address the trusted proxy appended, not one the client sent", async () => {
    expect(await ipOf("127.0.0.1", "10.9.9.9, 198.51.100.1", ["127.0.0.1"])).toBe("198.51.100.1");
    expect(await ipOf("::ffff:127.0.0.1", "198.51.100.1", ["127.0.0.1"])).toBe("198.51.100.1");
    expect(await ipOf("127.0.0.1", "not-an-ip", ["127.0.0.1"])).toBe("127.0.0.1");
    expect(await ipOf("127.0.0.1", undefined, ["127.0.0.1"])).toBe("127.0.0.1");
  });
});
