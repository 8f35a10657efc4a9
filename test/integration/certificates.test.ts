import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { domains } from "../../src/db/schema/index.ts";
import { requestCertificate } from "../../src/services/edge/certificate-request.ts";
import { startCertificateScheduler } from "../../src/services/edge/certificate-scheduler.ts";
import {
  createTestApp,
  makeZip,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";
import { type PrivateNginx, startNginx } from "../helpers/nginx.ts";
import { type PrivatePebble, startPebble } from "../helpers/pebble.ts";

/**
 * HTTPS by ACME with the real pieces: Pebble validates HTTP-01 by fetching the challenge
 * from the private nginx (its httpPort is nginx's port, its DNS answers 127.0.0.1), and
 * nginx then serves the issued certificate, checked against Pebble's root.
 */

let ngx: PrivateNginx;
let pebble: PrivatePebble;
let pebbleRoot: string;
let t: TestApp;
let stopScheduler: (() => Promise<void>) | null = null;

beforeAll(async () => {
  ngx = await startNginx();
  pebble = await startPebble({ httpPort: ngx.port });
  pebbleRoot = await pebble.rootCa();
});
afterAll(async () => {
  await pebble?.stop();
  await ngx?.stop();
});

beforeEach(() => {
  t = createTestApp({
    edge: ngx.edgeConfig({
      acme: {
        directoryUrl: pebble.directoryUrl,
        email: "ops@example.test",
        caFile: pebble.caFile,
        // names resolve only in Pebble's DNS: see AcmeIssuerOptions
        skipChallengeVerification: true,
      },
    }),
  });
  fs.chmodSync(t.dir, 0o755); // nginx workers run as nobody
});
afterEach(async () => {
  await stopScheduler?.();
  stopScheduler = null;
  for (const dir of [ngx.sitesEnabled, ngx.sitesAvailable]) {
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { force: true });
  }
  await ngx.reload();
  await t.close();
});

type DomainJson = {
  hostname: string;
  url: string;
  certificate: { status: string; expiresAt: string | null; message: string | null };
};

async function siteWithDomain(
  hostname: string,
  body = "<h1>hello</h1>",
  extra: { wwwRedirect?: boolean } = {},
) {
  expect(
    (await t.json("/api/v1/services", "POST", { name: "site", environments: ["production"] }))
      .status,
  ).toBe(201);
  const up = await uploadZip(t, "site", "production", makeZip({ "index.html": body }));
  expect((await waitForDeployment(t, ((await up.json()) as { id: string }).id)).status).toBe(
    "live",
  );
  const res = await t.json("/api/v1/services/site/environments/production/domains", "POST", {
    hostname,
    ...extra,
  });
  expect(res.status).toBe(201);
  const domain = (await res.json()) as DomainJson;
  // nginx mode: a new domain waits for its certificate
  expect(domain.certificate.status).toBe("pending");
  return domain;
}

const row = (hostname: string) => {
  const d = t.deps.repos.domains.byHostname(hostname);
  if (!d) throw new Error(`no domain ${hostname}`);
  return d;
};

/** Polls the API until the domain's certificate status is no longer pending. */
async function settled(hostname: string, timeoutMs = 20_000): Promise<DomainJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.request("/api/v1/services/site/environments/production/domains");
    const items = ((await res.json()) as { items: DomainJson[] }).items;
    const d = items.find((i) => i.hostname === hostname);
    if (d && d.certificate.status !== "pending") return d;
    if (Date.now() > deadline) throw new Error(`${hostname} still ${d?.certificate.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const events = () =>
  t.deps.repos.environments
    .events(row("shop.example.test").environmentId, 100)
    .map((e) => e.action)
    .reverse();

describe("HTTPS by ACME", () => {
  it("issues through nginx's webroot, then nginx serves HTTPS and redirects HTTP", async () => {
    await siteWithDomain("shop.example.test", "<h1>secure</h1>");
    const retry = await t.request(
      "/api/v1/services/site/environments/production/domains/shop.example.test/certificate",
      { method: "POST" },
    );
    expect(retry.status).toBe(202);
    expect(retry.headers.get("location")).toBe(
      "/api/v1/services/site/environments/production/domains",
    );
    expect(((await retry.json()) as DomainJson).certificate.status).toBe("pending");

    const done = await settled("shop.example.test");
    expect(done.certificate).toMatchObject({ status: "issued", message: null });
    expect(done.url).toBe("https://shop.example.test");
    const expiresAt = Date.parse(done.certificate.expiresAt ?? "");
    expect(expiresAt).toBeGreaterThan(Date.now() + 30 * 86_400_000);

    // the served chain verifies against Pebble's root and names the domain
    const tls = await ngx.requestTls("shop.example.test", "/", { ca: pebbleRoot });
    expect(tls.status).toBe(200);
    expect(tls.body).toBe("<h1>secure</h1>");
    expect(tls.peerCertificate.subjectaltname).toBe("DNS:shop.example.test");
    expect(Date.parse(tls.peerCertificate.valid_to)).toBe(expiresAt);
    expect(tls.headers["strict-transport-security"]).toBeDefined();

    // plain HTTP redirects, except the ACME path that renewals need
    const plain = await ngx.request("shop.example.test", "/a/b?c=1");
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://shop.example.test:${ngx.tlsPort}/a/b?c=1`);
    const challenges = path.join(t.deps.layout.acmeWebroot, ".well-known", "acme-challenge");
    fs.writeFileSync(path.join(challenges, "probe-token-0123456789"), "probe");
    const acme = await ngx.request(
      "shop.example.test",
      "/.well-known/acme-challenge/probe-token-0123456789",
    );
    expect(acme.status).toBe(200);
    expect(acme.body).toBe("probe");
    // the challenge files of the issuance are gone
    expect(fs.readdirSync(challenges)).toEqual(["probe-token-0123456789"]);

    const files = t.deps.layout.cert("shop.example.test");
    expect(fs.statSync(files.key).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(t.deps.layout.certsDir, "_account.key")).mode & 0o777).toBe(0o600);
    expect(events()).toEqual(
      expect.arrayContaining([
        "certificate.requested",
        "certificate.progress",
        "certificate.issued",
        "certificate.applied",
      ]),
    );
    expect(row("shop.example.test")).toMatchObject({ certFailures: 0, certNextAttemptAt: null });
  });

  it("one certificate covers a domain and its www redirect", async () => {
    await siteWithDomain("shop.example.test", "<h1>bare</h1>", { wwwRedirect: true });
    await requestCertificate(t.deps, row("shop.example.test").id);
    expect(row("shop.example.test").certStatus).toBe("issued");
    const bare = await ngx.requestTls("shop.example.test", "/", { ca: pebbleRoot });
    expect(bare.body).toBe("<h1>bare</h1>");
    expect(bare.peerCertificate.subjectaltname).toBe(
      "DNS:shop.example.test, DNS:www.shop.example.test",
    );
    const www = await ngx.requestTls("www.shop.example.test", "/x?y=1", { ca: pebbleRoot });
    expect(www.status).toBe(301);
    expect(www.headers.location).toBe(`https://shop.example.test:${ngx.tlsPort}/x?y=1`);
    const wwwPlain = await ngx.request("www.shop.example.test", "/x");
    expect(wwwPlain.status).toBe(301);
  });

  it("records a refused validation with a reason and a backoff; HTTP keeps serving", async () => {
    // DNS points elsewhere: Pebble finds nothing listening there
    await pebble.setA("shop.example.test", ["127.0.0.2"]);
    try {
      await siteWithDomain("shop.example.test", "<h1>plain</h1>");
      const before = Date.now();
      const retry = await t.request(
        "/api/v1/services/site/environments/production/domains/shop.example.test/certificate",
        { method: "POST" },
      );
      expect(retry.status).toBe(202);
      const done = await settled("shop.example.test");
      expect(done.certificate.status).toBe("error");
      expect(done.certificate.message).toMatch(
        /^Validating shop\.example\.test by HTTP-01: .*127\.0\.0\.2.*connection refused/,
      );
      const first = row("shop.example.test");
      expect(first.certFailures).toBe(1);
      expect(first.certNextAttemptAt).toBeGreaterThanOrEqual(before + 5 * 60_000);
      expect(first.certNextAttemptAt).toBeLessThanOrEqual(Date.now() + 5 * 60_000);

      // a second failure in a row waits twice as long
      const second = await requestCertificate(t.deps, first.id);
      expect(second.certFailures).toBe(2);
      expect((second.certNextAttemptAt ?? 0) - Date.now()).toBeGreaterThan(9 * 60_000);
      expect(events().filter((a) => a === "certificate.failed")).toHaveLength(2);

      // still served over HTTP, no redirect, and no certificate on disk
      const plain = await ngx.request("shop.example.test", "/");
      expect(plain.status).toBe(200);
      expect(plain.body).toBe("<h1>plain</h1>");
      expect(fs.existsSync(t.deps.layout.cert("shop.example.test").fullchain)).toBe(false);
      await expect(ngx.requestTls("shop.example.test", "/", { ca: pebbleRoot })).rejects.toThrow();
    } finally {
      await pebble.clearA("shop.example.test");
    }
  });

  it("checks that nginx serves the challenge before the CA is asked to look", async () => {
    await siteWithDomain("shop.example.test");
    fs.chmodSync(t.dir, 0o700); // nginx's user can no longer read the data directory
    const done = await requestCertificate(t.deps, row("shop.example.test").id);
    fs.chmodSync(t.dir, 0o755);
    expect(done.certStatus).toBe("error");
    expect(done.certMessage).toMatch(
      new RegExp(
        `^Checking that shop\\.example\\.test serves its challenge: nginx on 127\\.0\\.0\\.1:${ngx.port} answered HTTP 40[34]`,
      ),
    );
    expect(done.certMessage).toMatch(/can nginx's user read the data directory/);
    expect(done.certFailures).toBe(1);
  });

  it("the scheduler issues a new domain, and re-issues one expiring within 30 days", async () => {
    await siteWithDomain("shop.example.test");
    stopScheduler = startCertificateScheduler(t.deps, { intervalMs: 50 });
    expect((await settled("shop.example.test")).certificate).toMatchObject({ status: "issued" });
    const first = await ngx.requestTls("shop.example.test", "/", { ca: pebbleRoot });
    const issuedExpiry = row("shop.example.test").certExpiresAt;

    // pretend the certificate runs out in 10 days
    const soon = Date.now() + 10 * 86_400_000;
    t.deps.db
      .update(domains)
      .set({ certExpiresAt: soon })
      .where(eq(domains.hostname, "shop.example.test"))
      .run();

    const deadline = Date.now() + 20_000;
    while (
      row("shop.example.test").certExpiresAt === soon ||
      row("shop.example.test").certStatus !== "issued"
    ) {
      if (Date.now() > deadline) throw new Error("not renewed");
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(row("shop.example.test").certExpiresAt).toBeGreaterThanOrEqual(issuedExpiry ?? 0);
    const renewed = await ngx.requestTls("shop.example.test", "/", { ca: pebbleRoot });
    expect(renewed.peerCertificate.serialNumber).not.toBe(first.peerCertificate.serialNumber);
    expect(renewed.peerCertificate.subjectaltname).toBe("DNS:shop.example.test");
    const actions = events();
    expect(actions.filter((a) => a === "certificate.issued")).toHaveLength(2);
  });
});
