import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role, Scope } from "../../src/domain/auth/permissions.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import {
  createTestApp,
  makeZip,
  type TestApp,
  uploadZip,
  waitForDeployment,
} from "../helpers/app.ts";

let t: TestApp;
const METRICS_TOKEN = "prometheus-token-0123456789";

function keyFor(role: Role, scope: Scope = "admin", services: string[] | null = null) {
  const email = `${role}-${scope}-${services?.join("+") ?? "all"}@example.com`;
  const user =
    t.deps.repos.users.byEmail(email) ??
    t.deps.repos.users.insert(t.deps.db, { email, passwordHash: "unused", role, services });
  return createApiKey(t.deps, user, { name: "m", scope }).key;
}

const as = (key: string | null, path: string, method = "GET", body?: unknown) =>
  t.anon(path, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

let siteMonitor = 0;
let globalMonitor = 0;
let channelId = 0;

beforeAll(async () => {
  t = createTestApp({ metricsToken: METRICS_TOKEN });
  await t.json("/api/v1/services", "POST", { name: "a", environments: ["production"] });
  await t.json("/api/v1/services", "POST", { name: "b", environments: ["production"] });
  const res = await uploadZip(t, "a", "production", makeZip({ "index.html": "hello" }));
  await waitForDeployment(t, ((await res.json()) as { id: string }).id);
  const list = (await (await t.request("/api/v1/monitors")).json()) as {
    items: { id: number; auto: boolean; service: string }[];
  };
  siteMonitor = list.items.find((m) => m.auto && m.service === "a")?.id ?? 0;
  const g = await t.json("/api/v1/monitors", "POST", {
    name: "g",
    kind: "tcp",
    host: "127.0.0.1",
    port: 1,
  });
  globalMonitor = ((await g.json()) as { id: number }).id;
  const ch = await t.json("/api/v1/notification-channels", "POST", {
    name: "c",
    kind: "slack",
    url: "https://hooks.example.com/x",
  });
  channelId = ((await ch.json()) as { id: number }).id;
});
afterAll(() => t.close());

describe("monitors API", () => {
  it("gives every live environment an automatic monitor, with status and uptime", async () => {
    expect(siteMonitor).toBeGreaterThan(0);
    const res = await t.request(`/api/v1/monitors/${siteMonitor}`);
    expect(res.status).toBe(200);
    const m = (await res.json()) as Record<string, unknown>;
    expect(m).toMatchObject({
      kind: "http",
      environment: "production",
      auto: true,
      url: "http://production--a.localhost:8080/",
    });
    expect(m.uptime).toEqual({ h24: null, d7: null, d30: null });
    expect((await t.request(`/api/v1/monitors/${siteMonitor}`, { method: "DELETE" })).status).toBe(
      409,
    );
    // switched off per environment, it goes; on again, it comes back
    await t.json("/api/v1/services/a/environments/production/monitoring", "PUT", {
      autoMonitor: false,
    });
    expect((await t.request(`/api/v1/monitors/${siteMonitor}`)).status).toBe(404);
    await t.json("/api/v1/services/a/environments/production/monitoring", "PUT", {
      autoMonitor: true,
    });
    const list = (await (await t.request("/api/v1/monitors")).json()) as {
      items: { id: number; auto: boolean }[];
    };
    siteMonitor = list.items.find((x) => x.auto)?.id ?? 0;
    expect(siteMonitor).toBeGreaterThan(0);
  });

  it("shows the monitor on the monitors page and on its environment's page", async () => {
    const list = await (await t.request("/monitors")).text();
    expect(list).toContain("a/production");
    expect(list).toContain('class="uptime-bars"');
    const env = await (await t.request("/services/a/environments/production")).text();
    expect(env).toContain('id="env-monitor"');
    expect(env).toContain(`/monitors/${siteMonitor}`);
    expect(env).toContain("/badges/a/production/status.svg?token=");
    expect(env).toContain('action="/services/a/environments/production/monitoring"');
    // the card's form: a viewer may not, an owner switches badges public and back
    const form = (key: string | null, on: boolean) =>
      t.anon("/services/a/environments/production/monitoring", {
        method: "POST",
        headers: key ? { authorization: `Bearer ${key}` } : {},
        body: new URLSearchParams(
          on ? { autoMonitor: "on", badgesPublic: "on" } : { autoMonitor: "on" },
        ),
      });
    expect((await form(keyFor("viewer"), true)).status).toBe(403);
    expect((await form(t.key, true)).status).toBe(303);
    expect(await (await t.request("/services/a/environments/production")).text()).not.toContain(
      "status.svg?token=",
    );
    expect((await form(t.key, false)).status).toBe(303);
    const page = await t.request(`/monitors/${siteMonitor}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Uptime 30 d");
  });

  it("shows a push monitor's URL once when it is made from the page", async () => {
    const res = await t.request("/monitors", {
      method: "POST",
      body: new URLSearchParams({ name: "nightly", kind: "push", interval: "3600" }),
    });
    expect(res.status).toBe(200);
    const url = /(http:\/\/localhost:8080\/push\/[A-Za-z0-9_-]+)/.exec(await res.text())?.[1] ?? "";
    expect(url).not.toBe("");
    expect(
      (await t.anon(url.replace("http://localhost:8080", ""), { method: "POST" })).status,
    ).toBe(200);
    const bad = await t.request("/monitors", {
      method: "POST",
      body: new URLSearchParams({ name: "x", kind: "http", url: "nope" }),
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("url must be an absolute http(s) URL.");
  });

  it("answers 422 for bad input and stores nothing", async () => {
    const before = t.deps.monitoring.repos.monitors.list().length;
    const bad: [Record<string, unknown>, string][] = [
      [{ name: "x", kind: "http", url: "not a url" }, "url"],
      [{ name: "x", kind: "http", url: "file:///etc/passwd" }, "url"],
      [{ name: "x", kind: "tcp", host: "127.0.0.1" }, "port"],
      [{ name: "x", kind: "http", url: "http://e.com", interval: 0 }, "interval"],
      [{ name: "x", kind: "http", url: "http://e.com", interval: 5, timeoutMs: 9000 }, "timeoutMs"],
      [{ name: "x", kind: "http", url: "http://e.com", environment: "production" }, "service"],
      [{ name: "x", kind: "smoke-signal" }, "kind"],
      [{ name: "x", kind: "http", url: "http://e.com", extra: 1 }, ""],
    ];
    for (const [body, field] of bad) {
      const res = await t.json("/api/v1/monitors", "POST", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      const err = ((await res.json()) as { error: { field?: string } }).error;
      if (field) expect(err.field).toBe(field);
    }
    expect(
      (await t.json(`/api/v1/monitors/${globalMonitor}`, "PATCH", { kind: "http" })).status,
    ).toBe(422);
    expect(t.deps.monitoring.repos.monitors.list()).toHaveLength(before);
  });

  it("serves badges: private by default, open with the token or once made public", async () => {
    expect((await t.anon("/badges/a/production/status.svg")).status).toBe(401);
    const own = await t.request("/badges/a/production/status.svg");
    expect(own.headers.get("content-type")).toContain("image/svg+xml");
    expect(await own.text()).toContain(">live<");
    const settings = (await (
      await t.request("/api/v1/services/a/environments/production/monitoring")
    ).json()) as { badgeToken: string };
    expect(
      (await t.anon(`/badges/a/production/status.svg?token=${settings.badgeToken}`)).status,
    ).toBe(200);
    expect((await t.anon(`/badges/monitors/${siteMonitor}/uptime.svg?token=wrong`)).status).toBe(
      401,
    );
    await t.json("/api/v1/services/a/environments/production/monitoring", "PUT", {
      badgesPublic: true,
    });
    const pub = await t.anon(`/badges/monitors/${siteMonitor}/uptime.svg`);
    expect(pub.status).toBe(200);
    expect(await pub.text()).toContain("uptime 24h");
    expect((await t.anon("/badges/b/production/status.svg")).status).toBe(401);
  });
});

describe("channels page", () => {
  it("queues a test message from the send-test button and lists the delivery", async () => {
    const res = await t.request(`/notifications/${channelId}/test`, { method: "POST" });
    expect(res.status).toBe(303);
    const page = await (await t.request(res.headers.get("location") ?? "")).text();
    expect(page).toContain("Test message queued");
    expect(page).toMatch(/<td>test<\/td>/);
    expect(page).not.toContain("hooks.example.com/x");
  });
});

describe("/metrics", () => {
  it("exposes berth_ metrics in the Prometheus text format to a metrics key or the token", async () => {
    expect((await t.anon("/metrics")).status).toBe(401);
    expect((await as("berth_wrong", "/metrics")).status).toBe(401);
    const viaToken = await as(METRICS_TOKEN, "/metrics");
    expect(viaToken.status).toBe(200);
    const res = await as(keyFor("owner", "metrics"), "/metrics");
    expect(res.status).toBe(200);
    const families = parsePrometheusTextFormat(await res.text()) as {
      name: string;
      type: string;
      metrics: { labels?: Record<string, string>; value?: string; buckets?: unknown }[];
    }[];
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get("berth_deployments_total")?.metrics).toContainEqual(
      expect.objectContaining({ labels: { status: "live" }, value: "1" }),
    );
    expect(byName.get("berth_deploy_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(byName.get("berth_build_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(byName.get("berth_live_releases")?.metrics[0]?.value).toBe("1");
    expect(byName.get("berth_queue_depth")?.type).toBe("GAUGE");
    expect(byName.get("berth_http_requests_total")?.type).toBe("COUNTER");
    expect(byName.has("berth_notifications_total")).toBe(true);
    expect(byName.has("berth_monitor_up")).toBe(true);
    expect(byName.has("berth_monitor_response_time_seconds")).toBe(true);
    expect(byName.has("process_cpu_seconds_total")).toBe(true);
    // a metrics key opens nothing else
    expect((await as(keyFor("owner", "metrics"), "/api/v1/monitors")).status).toBe(403);
  });
});

describe("permissions of every new route", () => {
  type Who = "owner" | "viewer" | "deployer" | "limitedA" | "metrics" | "anon";
  const key = (w: Who) =>
    w === "anon"
      ? null
      : w === "limitedA"
        ? keyFor("admin", "write", ["a"])
        : w === "metrics"
          ? keyFor("owner", "metrics")
          : keyFor(w);
  // route → who may (everyone else: 401 for anon, 403 or 404 otherwise)
  const routes: [string, string, () => string, unknown | (() => unknown), Who[]][] = [
    [
      "list monitors",
      "GET",
      () => "/api/v1/monitors",
      undefined,
      ["owner", "viewer", "deployer", "limitedA"],
    ],
    [
      "read a site monitor",
      "GET",
      () => `/api/v1/monitors/${siteMonitor}`,
      undefined,
      ["owner", "viewer", "deployer", "limitedA"],
    ],
    [
      "read a global monitor",
      "GET",
      () => `/api/v1/monitors/${globalMonitor}`,
      undefined,
      ["owner", "viewer", "deployer"],
    ],
    [
      "checks",
      "GET",
      () => `/api/v1/monitors/${siteMonitor}/checks`,
      undefined,
      ["owner", "viewer", "deployer", "limitedA"],
    ],
    [
      "create a global monitor",
      "POST",
      () => "/api/v1/monitors",
      { name: "n", kind: "push" },
      ["owner"],
    ],
    [
      "create a monitor of a",
      "POST",
      () => "/api/v1/monitors",
      { name: "n", kind: "push", service: "a" },
      ["owner", "limitedA"],
    ],
    [
      "change a site monitor",
      "PATCH",
      () => `/api/v1/monitors/${siteMonitor}`,
      { interval: 120 },
      ["owner", "limitedA"],
    ],
    ["pause", "POST", () => `/api/v1/monitors/${globalMonitor}/pause`, undefined, ["owner"]],
    ["resume", "POST", () => `/api/v1/monitors/${globalMonitor}/resume`, undefined, ["owner"]],
    [
      "incidents",
      "GET",
      () => "/api/v1/incidents",
      undefined,
      ["owner", "viewer", "deployer", "limitedA"],
    ],
    [
      "windows",
      "GET",
      () => "/api/v1/maintenance-windows",
      undefined,
      ["owner", "viewer", "deployer", "limitedA"],
    ],
    [
      "add a window",
      "POST",
      () => "/api/v1/maintenance-windows",
      { startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-01-02T00:00:00Z" },
      ["owner"],
    ],
    [
      "env monitoring",
      "GET",
      () => "/api/v1/services/a/environments/production/monitoring",
      undefined,
      ["owner", "viewer", "deployer", "limitedA"],
    ],
    [
      "set env monitoring",
      "PUT",
      () => "/api/v1/services/a/environments/production/monitoring",
      {},
      ["owner", "limitedA"],
    ],
    ["channels", "GET", () => "/api/v1/notification-channels", undefined, ["owner"]],
    ["a channel", "GET", () => `/api/v1/notification-channels/${channelId}`, undefined, ["owner"]],
    [
      "add a channel",
      "POST",
      () => "/api/v1/notification-channels",
      { name: "x", kind: "discord", url: "https://d.example.com/x" },
      ["owner"],
    ],
    [
      "test a channel",
      "POST",
      () => `/api/v1/notification-channels/${channelId}/test`,
      undefined,
      ["owner"],
    ],
    [
      "add a rule",
      "POST",
      () => "/api/v1/notification-rules",
      () => ({ channelId, event: "rollback" }),
      ["owner"],
    ],
    ["metrics", "GET", () => "/metrics", undefined, ["owner", "metrics"]],
    [
      "monitors page",
      "GET",
      () => "/monitors",
      undefined,
      ["owner", "viewer", "deployer", "limitedA"],
    ],
    ["channels page", "GET", () => "/notifications", undefined, ["owner"]],
    [
      "env monitoring form",
      "POST",
      () => "/services/b/environments/production/monitoring",
      undefined,
      [],
    ],
  ];
  const everyone: Who[] = ["owner", "viewer", "deployer", "limitedA", "metrics", "anon"];
  for (const [name, method, path, body, may] of routes) {
    it(name, async () => {
      for (const who of everyone) {
        const res = await as(key(who), path(), method, typeof body === "function" ? body() : body);
        const ok = res.status < 300;
        expect(ok, `${who} ${method} ${path()} → ${res.status}`).toBe(may.includes(who));
        if (who === "anon" && !ok) expect([401, 302]).toContain(res.status);
      }
    });
  }
});
