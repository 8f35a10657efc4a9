import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dnsLookup } from "../../src/adapters/dns/lookup.ts";
import { rfc2136Provider } from "../../src/adapters/dns/rfc2136.ts";
import { embeddedEdge } from "../../src/services/core/deps.ts";
import { Secret } from "../../src/services/core/secrets.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { type Bind, startBind } from "../helpers/bind.ts";

// "DNS by hand": the record to create is shown inline, and "check now" resolves the name
// through a real BIND and says what it found.

let bind: Bind;
let t: TestApp;
beforeAll(async () => {
  bind = await startBind();
});
afterAll(() => bind?.stop());
afterEach(() => t?.close());

const form = { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" };

describe("a domain whose DNS is set by hand", () => {
  it("shows the record to create, and check now says what DNS answers", async () => {
    t = createTestApp({
      edge: { ...embeddedEdge, publicIpv4: "192.0.2.10" },
      dnsLookup: dnsLookup([bind.server]),
    });
    await t.json("/api/v1/services", "POST", { name: "site" });
    const env = "/services/site/environments/production";
    const added = await t.request(`${env}/domains`, {
      method: "POST",
      headers: form,
      body: "hostname=shop.example.test",
    });
    const html = await added.text();
    expect(html).toMatch(
      /<dd class="mono">A<\/dd><dt>Name<\/dt><dd class="mono">shop\.example\.test<\/dd><dt>Value<\/dt><dd class="mono">192\.0\.2\.10<\/dd>/,
    );
    expect(html).toContain("Check now");

    const check = () =>
      t.request(`${env}/domains/shop.example.test/check`, { method: "POST", headers: form });
    const before = await (await check()).text();
    expect(before).toContain("DNS answers no A, AAAA or CNAME record, expected A 192.0.2.10");

    // the record is created at the provider (here BIND, by dynamic update)
    await rfc2136Provider({
      server: bind.server,
      zone: null,
      key: { name: bind.keyName, algorithm: "hmac-sha256", secret: new Secret(bind.secret) },
      ttl: 60,
    }).upsert("shop.example.test", { ipv4: "192.0.2.10", ipv6: null, cname: null });
    const after = await (await check()).text();
    expect(after).toContain("✓ A shop.example.test: DNS answers A 192.0.2.10.");
    expect(after).toContain("dns-check-ok");
  });
});
