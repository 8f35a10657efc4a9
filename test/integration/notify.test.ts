import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { startWorkers, type WorkerPool } from "../../src/queue/workers.ts";
import { deliverTask } from "../../src/services/notify/deliver.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { receiver, smtpServer } from "../helpers/receivers.ts";

let t: TestApp | null = null;
let pool: WorkerPool | null = null;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await pool?.stop();
  pool = null;
  for (const c of cleanup.splice(0)) await c();
  await t?.close();
  t = null;
});

/** The app with a running notification worker pool, as main.ts starts it. */
function appWithWorkers(opts: Parameters<typeof createTestApp>[0] = {}) {
  const app = createTestApp(opts);
  pool = startWorkers({
    tasks: app.deps.repos.tasks,
    handlers: { notify: (task) => deliverTask(app.deps.notify, task) },
    concurrency: 2,
    logger: app.deps.logger,
    pollMs: 50,
  });
  const p = pool;
  app.deps.notify.setPoke(() => p.poke());
  return app;
}

async function channel(app: TestApp, body: Record<string, unknown>) {
  const res = await app.json("/api/v1/notification-channels", "POST", body);
  expect(res.status).toBe(201);
  return (await res.json()) as { id: number; signingSecret?: string };
}

async function deliveries(app: TestApp, id: number) {
  const res = await app.request(`/api/v1/notification-channels/${id}`);
  return (
    (await res.json()) as {
      deliveries: { status: string; attempts: number; lastError: string | null; event: string }[];
    }
  ).deliveries;
}

describe("notification channels", () => {
  it("signs webhooks per Standard Webhooks, verified by the library on the receiving side", async () => {
    t = appWithWorkers({ notifyAllowPrivate: true });
    const r = await receiver();
    cleanup.push(r.close);
    const ch = await channel(t, { name: "ops", kind: "webhook", url: r.url });
    expect(ch.signingSecret).toMatch(/^whsec_/);
    await t.json("/api/v1/services", "POST", { name: "site", environments: ["production"] });
    const rule = await t.json("/api/v1/notification-rules", "POST", {
      channelId: ch.id,
      event: "monitor.down",
      service: "site",
    });
    expect(rule.status).toBe(201);
    t.deps.events.emit("monitor.down", {
      monitorId: 1,
      name: "site/production",
      service: "site",
      environment: "production",
      message: "answered 503, expected 200",
      incidentId: "x",
      context: "down 3 min after deployment d1 went live",
    });
    // another service's event matches no rule
    t.deps.events.emit("monitor.down", {
      monitorId: 2,
      name: "other",
      service: "other",
      environment: null,
      message: "m",
      incidentId: "y",
      context: null,
    });
    const got = await r.next();
    const verified = new Webhook(ch.signingSecret as string).verify(
      got.body,
      got.headers as Record<string, string>,
    ) as {
      type: string;
      data: { text: string; service: string };
    };
    expect(verified.type).toBe("monitor.down");
    expect(verified.data.text).toContain("down 3 min after deployment d1 went live");
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(
        got.body,
        got.headers as Record<string, string>,
      ),
    ).toThrow();
    await new Promise((res) => setTimeout(res, 200));
    expect(r.got).toHaveLength(1);
    expect(await deliveries(t, ch.id)).toEqual([
      expect.objectContaining({ status: "sent", attempts: 1, event: "monitor.down" }),
    ]);
    // the stored secret is ciphertext, and the API never shows it
    const row = t.deps.notify.repos.channels.byId(ch.id);
    expect(row?.secret.startsWith("v1:")).toBe(true);
    expect(row?.secret).not.toContain("127.0.0.1");
    expect(
      JSON.stringify(await (await t.request(`/api/v1/notification-channels/${ch.id}`)).json()),
    ).not.toContain("whsec_");
  });

  it("posts Slack and Discord payloads in their documented shapes", async () => {
    t = appWithWorkers({ notifyAllowPrivate: true });
    const slack = await receiver();
    const discord = await receiver();
    cleanup.push(slack.close, discord.close);
    const s = await channel(t, { name: "slack", kind: "slack", url: slack.url });
    const d = await channel(t, { name: "discord", kind: "discord", url: discord.url });
    expect(
      (await t.request(`/api/v1/notification-channels/${s.id}/test`, { method: "POST" })).status,
    ).toBe(202);
    expect(
      (await t.request(`/api/v1/notification-channels/${d.id}/test`, { method: "POST" })).status,
    ).toBe(202);
    const sb = JSON.parse((await slack.next()).body);
    expect(typeof sb.text).toBe("string");
    expect(sb.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
    expect(sb.blocks[1]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
    const db = JSON.parse((await discord.next()).body);
    expect(db.content.length).toBeLessThanOrEqual(2000);
    expect(db.embeds[0]).toMatchObject({
      title: "Test notification from Berth",
      color: expect.any(Number),
    });
    expect(Date.parse(db.embeds[0].timestamp)).not.toBeNaN();
    expect(db.allowed_mentions).toEqual({ parse: [] });
  });

  it("sends email through a real SMTP server, over STARTTLS, with the password it was given", async () => {
    const smtp = await smtpServer();
    cleanup.push(smtp.close);
    t = appWithWorkers({ notifyAllowPrivate: true, smtpCa: smtp.ca });
    const ch = await channel(t, {
      name: "mail",
      kind: "email",
      host: "localhost",
      port: smtp.port,
      username: "berth",
      password: "s3cret",
      from: "berth@example.com",
      to: "ops@example.com",
    });
    await t.request(`/api/v1/notification-channels/${ch.id}/test`, { method: "POST" });
    for (let i = 0; i < 100 && smtp.mails.length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]).toMatchObject({
      from: "berth@example.com",
      to: ["ops@example.com"],
      secure: true,
      user: "berth",
    });
    expect(smtp.mails[0]?.body).toContain("Subject: [Berth] Test notification from Berth");
  });

  it("refuses loopback and private addresses unless allowed, and retries with backoff", async () => {
    t = createTestApp(); // private addresses not allowed
    const r = await receiver();
    cleanup.push(r.close);
    const ch = await channel(t, { name: "local", kind: "slack", url: r.url });
    const deliveryId = t.deps.notify.queue([ch.id], {
      event: "test",
      title: "t",
      text: "x",
      service: null,
      environment: null,
      at: Date.now(),
      data: {},
    })[0] as number;
    const task = t.deps.repos.tasks.claim("me", 10_000, Date.now(), ["notify"]);
    expect(task?.subjectId).toBe(String(deliveryId));
    const now = Date.now();
    expect(await deliverTask(t.deps.notify, task as NonNullable<typeof task>, () => now)).toBe(
      "failed",
    );
    const [d] = await deliveries(t, ch.id);
    expect(d).toMatchObject({ status: "retrying", attempts: 1 });
    expect(d?.lastError).toContain("private or loopback address: refused");
    expect(r.got).toHaveLength(0);
    // the retry waits for its backoff: nothing to claim now, one task 5 s later
    expect(t.deps.repos.tasks.claim("me", 10_000, now + 1000, ["notify"])).toBeUndefined();
    expect(t.deps.repos.tasks.claim("me", 10_000, now + 5000, ["notify"])?.subjectId).toBe(
      String(deliveryId),
    );
  });
});

describe("a stop in the middle of a delivery", () => {
  it("queues the delivery again at start-up", async () => {
    t = createTestApp();
    const ch = await channel(t, {
      name: "x",
      kind: "discord",
      url: "https://discord.example.com/api/webhooks/1/x",
    });
    const [id] = t.deps.notify.queue([ch.id], {
      event: "test",
      title: "t",
      text: "x",
      service: null,
      environment: null,
      at: Date.now(),
      data: {},
    });
    const task = t.deps.repos.tasks.claim("dead-process", 10_000, Date.now(), ["notify"]);
    t.deps.repos.tasks.finish(task?.id as number, "interrupted"); // what start-up does to running tasks
    expect(t.deps.notify.recover()).toBe(1);
    expect(t.deps.notify.recover()).toBe(0);
    expect(t.deps.repos.tasks.claim("next", 10_000, Date.now(), ["notify"])?.subjectId).toBe(
      String(id),
    );
  });
});

describe("bad input", () => {
  it("answers 422 with the field and stores nothing", async () => {
    t = createTestApp();
    for (const body of [
      { name: "x", kind: "slack", url: "ftp://example.com" },
      { name: "x", kind: "email", host: "smtp.example.com", from: "nope", to: "a@b.c" },
      { name: "", kind: "webhook", url: "https://example.com" },
      { name: "x", kind: "carrier-pigeon" },
    ]) {
      const res = await t.json("/api/v1/notification-channels", "POST", body);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/invalid/);
    }
    expect(t.deps.notify.repos.channels.list()).toHaveLength(0);
    const rule = await t.json("/api/v1/notification-rules", "POST", {
      channelId: 99,
      event: "monitor.down",
    });
    expect(rule.status).toBe(404);
  });
});
