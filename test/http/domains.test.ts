import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import {
  createTestApp,
  makeZip,
  site,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.json("/api/v1/services", "POST", {
    name: "site",
    environments: ["production", "staging"],
  });
  await t.json("/api/v1/services", "POST", { name: "blog" });
});
afterEach(() => t.close());

const domainsOf = (service: string, env: string) =>
  `/api/v1/services/${service}/environments/${env}/domains`;
const add = (hostname: string, extra: Record<string, unknown> = {}, env = "production") =>
  t.json(domainsOf("site", env), "POST", { hostname, ...extra });
const list = async (service = "site", env = "production") =>
  ((await (await t.request(domainsOf(service, env))).json()) as { items: { hostname: string }[] })
    .items;
type ErrorJson = { error: { code: string; message: string; field?: string } };

function keyFor(scope: "read" | "write" | "admin", service?: string): string {
  const owner = t.deps.repos.users.byEmail("owner@example.com");
  if (!owner) throw new Error("no owner");
  return createApiKey(t.deps, owner, { name: `k-${scope}`, scope, service }).key;
}
const withKey = (key: string, path: string, init: RequestInit = {}) =>
  t.anon(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${key}` } });

describe("adding a domain", () => {
  it("answers 201 with the domain, its DNS and certificate status, and lists it", async () => {
    const res = await add("Shop.Example.com.", { wwwRedirect: true });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      hostname: "shop.example.com",
      wwwRedirect: true,
      url: "http://shop.example.com",
      dns: { status: "none" },
      certificate: { status: "none", expiresAt: null },
    });
    expect((body.dns as { message: string }).message).toContain("www.shop.example.com");
    expect((await list()).map((d) => d.hostname)).toEqual(["shop.example.com"]);
    expect(await list("site", "staging")).toEqual([]);
  });

  it("records the change in the environment's activity", async () => {
    await add("shop.example.com");
    const env = t.deps.repos.environments.byName(
      t.deps.repos.services.byName("site")?.id ?? 0,
      "production",
    );
    const events = t.deps.repos.environments.events(env?.id ?? 0);
    expect(events[0]).toMatchObject({ action: "domain.added" });
    expect(events[0]?.message).toContain("shop.example.com");
  });

  it.each([
    ["localhost", "at least two labels"],
    ["*.example.com", "wildcard"],
    ["203.0.113.7", "IP address"],
    ["[2001:db8::1]", "IP address"],
    ["exa_mple.com", "characters other than"],
    ["-shop.example.com", 'starts or ends with "-"'],
    ["shop-.example.com", 'starts or ends with "-"'],
    ["shop..example.com", "empty label"],
    ["shop example.com", "without scheme, path or port"],
    ["https://shop.example.com/", "without scheme, path or port"],
    ["shop.example.com:8080", "without scheme, path or port"],
    ["example.123", "not a top-level domain"],
    [`${"a".repeat(64)}.com`, "longer than 63"],
    [`${"abcdefghi.".repeat(26)}com`, "longer than 253"],
    ["bücher.de", "xn--bcher-kva.de"],
    ["ab--cd.example.com", "IDNA reserves"],
    ["xn--zz.example.com", "not valid punycode"],
    ["production--blog.localhost", "reserved for Berth's site addresses"],
    ["01jd3k9x7m2q4r5s6t7v8w9x0y--site.localhost", "reserved"],
    ["localhost.", "at least two labels"],
  ])("refuses %j with 422 invalid_hostname (%s)", async (hostname, words) => {
    const res = await add(hostname);
    expect(res.status).toBe(422);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe("invalid_hostname");
    expect(body.error.field).toBe("hostname");
    expect(body.error.message).toContain(words);
    expect(await list()).toEqual([]);
  });

  it("accepts punycode and names under the base domain that cannot be site labels", async () => {
    expect((await add("xn--bcher-kva.de")).status).toBe(201);
    expect((await add("docs.localhost")).status).toBe(201);
    expect((await add("a.b.localhost")).status).toBe(201);
  });

  it("refuses a www redirect on a name that is already www", async () => {
    const res = await add("www.example.com", { wwwRedirect: true });
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorJson).error.code).toBe("invalid_www_redirect");
  });

  it("is 400 when the body is not what the API describes", async () => {
    expect((await t.json(domainsOf("site", "production"), "POST", {})).status).toBe(400);
    const res = await t.json(domainsOf("site", "production"), "POST", {
      hostname: "a.example.com",
      wwwRedirect: "yes",
    });
    expect(res.status).toBe(400);
  });
});

describe("a hostname is unique across Berth", () => {
  it("is 409 domain_taken in the same or another environment or service", async () => {
    expect((await add("shop.example.com")).status).toBe(201);
    for (const [service, env] of [
      ["site", "production"],
      ["site", "staging"],
      ["blog", "production"],
    ] as const) {
      const res = await t.json(domainsOf(service, env), "POST", { hostname: "SHOP.example.com" });
      expect(res.status).toBe(409);
      expect(((await res.json()) as ErrorJson).error.code).toBe("domain_taken");
    }
  });

  it("counts www names that redirect, both ways", async () => {
    expect((await add("example.com", { wwwRedirect: true })).status).toBe(201);
    expect((await add("www.example.com", {}, "staging")).status).toBe(409);
    expect((await add("example.org", {}, "staging")).status).toBe(201);
    const res = await add("www.example.org");
    expect(res.status).toBe(201);
    expect((await add("example.org", { wwwRedirect: true }, "production")).status).toBe(409);
  });
});

describe("removing a domain", () => {
  it("answers 204, stops listing it, logs it, and frees the name", async () => {
    await add("shop.example.com");
    const res = await t.request(`${domainsOf("site", "production")}/shop.example.com`, {
      method: "DELETE",
    });
    expect(res.status).toBe(204);
    expect(await list()).toEqual([]);
    const env = t.deps.repos.environments.byName(
      t.deps.repos.services.byName("site")?.id ?? 0,
      "production",
    );
    expect(t.deps.repos.environments.events(env?.id ?? 0)[0]?.action).toBe("domain.removed");
    expect((await add("shop.example.com", {}, "staging")).status).toBe(201);
  });

  it("is 404 for a domain of another environment, an unknown one, or an unknown place", async () => {
    await add("shop.example.com");
    const del = (path: string) => t.request(path, { method: "DELETE" });
    const other = await del(`${domainsOf("site", "staging")}/shop.example.com`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as ErrorJson).error.code).toBe("domain_not_found");
    expect((await del(`${domainsOf("site", "production")}/nope.example.com`)).status).toBe(404);
    const env = await t.request(domainsOf("site", "nope"));
    expect(env.status).toBe(404);
    expect(((await env.json()) as ErrorJson).error.code).toBe("environment_not_found");
    expect((await t.request(domainsOf("nope", "production"))).status).toBe(404);
    expect((await list()).map((d) => d.hostname)).toEqual(["shop.example.com"]);
  });

  it("goes with its environment", async () => {
    await add("shop.example.com", {}, "staging");
    const res = await t.request("/api/v1/services/site/environments/staging", {
      method: "DELETE",
    });
    expect(res.status).toBe(204);
    expect((await add("shop.example.com")).status).toBe(201);
  });
});

describe("permissions", () => {
  it("lets a read key list but not change domains", async () => {
    await add("shop.example.com");
    const key = keyFor("read");
    expect((await withKey(key, domainsOf("site", "production"))).status).toBe(200);
    const post = await withKey(key, domainsOf("site", "production"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hostname: "other.example.com" }),
    });
    expect(post.status).toBe(403);
    const del = await withKey(key, `${domainsOf("site", "production")}/shop.example.com`, {
      method: "DELETE",
    });
    expect(del.status).toBe(403);
    expect((await list()).map((d) => d.hostname)).toEqual(["shop.example.com"]);
  });

  it("keeps a key limited to one service away from another's domains", async () => {
    const key = keyFor("write", "blog");
    expect((await withKey(key, domainsOf("site", "production"))).status).toBe(403);
    const post = await withKey(key, domainsOf("blog", "production"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hostname: "blog.example.com" }),
    });
    expect(post.status).toBe(201);
  });

  it("asks for credentials", async () => {
    expect((await t.anon(domainsOf("site", "production"))).status).toBe(401);
  });

  it("describes the routes in the OpenAPI document", async () => {
    const doc = (await (await t.request("/api/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const p = doc.paths["/services/{service}/environments/{env}/domains"];
    expect(Object.keys(p ?? {}).sort()).toEqual(["get", "post"]);
    expect(doc.paths["/services/{service}/environments/{env}/domains/{hostname}"]).toHaveProperty(
      "delete",
    );
  });
});

describe("the Domains card", () => {
  const page = "/services/site/environments/production";
  const form = (fields: Record<string, string>, hx = false) =>
    t.request(`${page}/domains`, {
      method: "POST",
      headers: hx ? { "HX-Request": "true" } : {},
      body: new URLSearchParams(fields),
    });

  it("is on the environment page with the built-in address and an add form", async () => {
    await add("shop.example.com", { wwwRedirect: true });
    const html = await (await t.request(page)).text();
    expect(html).toContain('id="domains"');
    expect(html).toContain("production--site.localhost");
    expect(html).toContain("shop.example.com");
    expect(html).toContain("DNS by hand");
    expect(html).toContain("No TLS");
    expect(html).toContain("+ www redirect");
    expect(html).toContain('hx-confirm="Remove shop.example.com?');
    expect(html).toContain('name="hostname"');
  });

  it("shows the error beside the field and keeps what was typed", async () => {
    const res = await form({ hostname: "not a domain" }, true);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).not.toContain("<html");
    expect(html).toMatch(/id="hostname-error"[^>]*>[^<]*without scheme, path or port/);
    expect(html).toContain('value="not a domain"');
    expect(html).toContain('aria-invalid="true"');
  });

  it("puts a taken name's 409 beside the field too", async () => {
    await add("shop.example.com", {}, "staging");
    const res = await form({ hostname: "shop.example.com" }, true);
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/id="hostname-error"[^>]*>[^<]*already in use/);
  });

  it("adds with htmx (the card comes back and the activity is told) and without", async () => {
    const res = await form({ hostname: "shop.example.com", wwwRedirect: "on" }, true);
    expect(res.status).toBe(200);
    expect(res.headers.get("hx-trigger")).toContain("env-changed");
    const html = await res.text();
    expect(html).toContain("shop.example.com added.");
    expect(html).toContain('value=""');
    const plain = await form({ hostname: "two.example.com" });
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe(page);
    expect((await list()).map((d) => d.hostname)).toEqual(["shop.example.com", "two.example.com"]);
  });

  it("removes with the button", async () => {
    await add("shop.example.com");
    const res = await t.request(`${page}/domains/shop.example.com/delete`, {
      method: "POST",
      headers: { "HX-Request": "true" },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('href="http://shop.example.com"');
    expect(await list()).toEqual([]);
  });

  it("offers no form to a viewer", async () => {
    await add("shop.example.com");
    const html = await (await withKey(keyFor("read"), page)).text();
    expect(html).toContain("shop.example.com");
    expect(html).not.toContain('name="hostname"');
    expect(html).not.toContain("Remove shop.example.com");
    expect(html).not.toContain("/domains/shop.example.com/delete");
  });
});

describe("embedded serving of custom domains", () => {
  it("serves the environment's live release by the domain, and redirects www", async () => {
    const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "live" }));
    await waitForDeployment(t, ((await res.json()) as { id: string }).id);
    await add("shop.example.com", { wwwRedirect: true });
    const page = await site(t, "shop.example.com", "/");
    expect([page.status, page.body]).toEqual([200, "live"]);
    const www = await site(t, "www.shop.example.com:8080", "/a?b=1");
    expect(www.status).toBe(301);
    expect(www.headers.get("location")).toBe("http://shop.example.com:8080/a?b=1");
    // an unknown host still reaches Berth itself (here: the API asks for credentials)
    expect((await t.app.request("http://nope.example.com/api/v1/services")).status).toBe(401);
    // Berth's own host is never a site, whatever the domains table says
    expect((await t.request("/api/v1/services")).status).toBe(200);
  });
});

describe("certificate retry from the UI", () => {
  it("offers Retry certificate only for a failed certificate in nginx mode, and refuses it in embedded mode", async () => {
    const t2 = createTestApp();
    try {
      await t2.json("/api/v1/services", "POST", { name: "shop" });
      await t2.json("/api/v1/services/shop/environments/production/domains", "POST", {
        hostname: "shop.example",
      });
      const row = t2.deps.repos.domains.listForEnvironment(
        (
          t2.deps.repos.environments.byName(
            (t2.deps.repos.services.byName("shop") as { id: number }).id,
            "production",
          ) as { id: number }
        ).id,
      )[0] as { id: number };
      t2.deps.db.$client
        .prepare(
          "update domains set cert_status = 'error', cert_message = 'CA said no' where id = ?",
        )
        .run(row.id);
      const page = await (await t2.request("/services/shop/environments/production")).text();
      expect(page).toContain("CA said no");
      expect(page).not.toContain("Retry certificate"); // embedded mode issues no certificates
      const res = await t2.request(
        "/services/shop/environments/production/domains/shop.example/certificate",
        {
          method: "POST",
          headers: { "hx-request": "true" },
        },
      );
      expect(res.status).toBe(409);
      expect(await res.text()).toContain("only when nginx serves the sites");
    } finally {
      await t2.close();
    }
  });
});
