import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rfc2136Provider } from "../../src/adapters/dns/rfc2136.ts";
import { Secret } from "../../src/domain/secret.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { type Bind, startBind } from "../helpers/bind.ts";

let bind: Bind;
let t: TestApp;
let limitedKey = "";
const HERE = "192.0.2.77";

/** Someone else's records: written straight to BIND, not through Berth. */
const outsider = () =>
  rfc2136Provider({
    server: bind.server,
    zone: "example.test",
    key: { name: bind.keyName, algorithm: "hmac-sha256", secret: new Secret(bind.secret) },
    ttl: 300,
  });

beforeAll(async () => {
  bind = await startBind();
  t = createTestApp();
  t.deps.edge = { ...t.deps.edge, publicIpv4: HERE, publicIpv6: null, cnameTarget: null };
  await t.json("/api/v1/services", "POST", { name: "site" });
  const put = await t.json("/api/v1/settings/dns", "PUT", {
    provider: "rfc2136",
    rfc2136: { server: bind.server, keyName: bind.keyName, keySecret: bind.secret, ttl: 60 },
  });
  expect(put.status).toBe(200);
  const limited = t.deps.repos.users.insert(t.deps.db, {
    email: "limited@example.com",
    passwordHash: "unused",
    role: "admin",
    services: ["site"],
  });
  limitedKey = createApiKey(t.deps, limited, { name: "w", scope: "write", service: "site" }).key;
});
afterAll(async () => {
  await t?.close();
  await bind?.stop();
});

const domains = "/api/v1/services/site/environments/production/domains";
const add = (body: object, key = t.key) =>
  t.anon(domains, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const listed = async () =>
  ((await (await t.request(domains)).json()) as { items: { hostname: string }[] }).items.map(
    (d) => d.hostname,
  );

describe("Berth changes only the DNS records it created", () => {
  it("refuses a name with someone else's record (409 dns_conflict), changing nothing", async () => {
    await outsider().upsert("mail.example.test", { ipv4: "192.0.2.25", ipv6: null, cname: null });
    const serial = await bind.serial();
    const res = await add({ hostname: "mail.example.test" }, limitedKey);
    expect(res.status).toBe(409);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("dns_conflict");
    expect(error.message).toContain("mail.example.test");
    expect(error.message).toContain("A 192.0.2.25");
    expect(await bind.dig("mail.example.test", "A")).toEqual(["192.0.2.25"]);
    expect(await bind.serial()).toBe(serial);
    expect(await listed()).not.toContain("mail.example.test");
  });

  it("lets only an owner or admin take it over, and audits it", async () => {
    const denied = await add({ hostname: "mail.example.test", takeOver: true }, limitedKey);
    expect(denied.status).toBe(403);
    expect(await bind.dig("mail.example.test", "A")).toEqual(["192.0.2.25"]);
    const res = await add({ hostname: "mail.example.test", takeOver: true });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { dns: { status: string } }).dns.status).toBe("ok");
    expect(await bind.dig("mail.example.test", "A")).toEqual([HERE]);
    const trail = t.deps.repos.audit.list({ limit: 5, action: "domain.dns_take_over" });
    expect(trail[0]).toMatchObject({ result: "ok", target: "site/production" });
    // taken over, it is Berth's: removing the domain removes the record
    expect((await t.request(`${domains}/mail.example.test`, { method: "DELETE" })).status).toBe(
      204,
    );
    expect(await bind.dig("mail.example.test", "A")).toEqual([]);
  });

  it("creates and later removes the records of a free name", async () => {
    expect((await add({ hostname: "fresh.example.test" }, limitedKey)).status).toBe(201);
    expect(await bind.dig("fresh.example.test", "A")).toEqual([HERE]);
    expect((await t.request(`${domains}/fresh.example.test`, { method: "DELETE" })).status).toBe(
      204,
    );
    expect(await bind.dig("fresh.example.test", "A")).toEqual([]);
  });

  it("leaves a record it did not make that already points here, also on removal", async () => {
    await outsider().upsert("same.example.test", { ipv4: HERE, ipv6: null, cname: null });
    expect((await add({ hostname: "same.example.test" }, limitedKey)).status).toBe(201);
    expect((await t.request(`${domains}/same.example.test`, { method: "DELETE" })).status).toBe(
      204,
    );
    expect(await bind.dig("same.example.test", "A")).toEqual([HERE]);
  });
});
