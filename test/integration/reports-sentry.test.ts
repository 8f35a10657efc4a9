import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../helpers/server.ts";

const run = promisify(execFile);
const app = path.resolve(import.meta.dirname, "../fixtures/sentry-node-app.mjs");

let server: RunningServer;
let dir: string;
let dsn: string;
let projectId: string;
let key: string;
let firstGroup: number;

type Group = { id: number; title: string; count: number; status: string; regressed: boolean };

async function report(env: Record<string, string> = {}) {
  await run(process.execPath, [app], {
    env: { PATH: process.env.PATH ?? "", DSN: dsn, RELEASE: "r1", ...env },
    cwd: path.dirname(app),
    timeout: 20_000,
  });
}

async function groups(service = "api"): Promise<Group[]> {
  const res = await server.api(`/services/${service}/errors`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { groups: Group[] }).groups;
}

function envelope(event: Record<string, unknown>, dsnOverride?: string) {
  const header = JSON.stringify({ event_id: event.event_id, dsn: dsnOverride ?? dsn });
  const body = JSON.stringify(event);
  return `${header}\n${JSON.stringify({ type: "event", length: Buffer.byteLength(body) })}\n${body}\n`;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-reports-"));
  server = await startServer(dir, {
    BERTH_REPORT_RATE_PER_MINUTE: "40",
    BERTH_REPORT_MAX_ENVELOPE_BYTES: String(256 * 1024),
    BERTH_REPORT_MAX_EVENT_BYTES: String(64 * 1024),
  });
  for (const name of ["api", "limited"])
    expect(
      (
        await server.api("/services", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name, environments: ["production"] }),
        })
      ).status,
    ).toBe(201);
  const reporting = (await (await server.api("/services/api/reporting")).json()) as {
    dsn: string;
    envelopeUrl: string;
  };
  // the public URL names localhost; the test reaches the same port on 127.0.0.1
  dsn = reporting.dsn.replace("@localhost:", "@127.0.0.1:");
  const u = new URL(dsn);
  key = u.username;
  projectId = u.pathname.slice(1);
  expect(reporting.envelopeUrl).toBe(`http://localhost:${server.port}/api/${projectId}/envelope/`);
}, 30_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the real @sentry/node SDK reporting to Berth", () => {
  it("creates a group with its stack trace, and counts a second identical error in it", async () => {
    await report();
    let [g] = await groups();
    expect(g?.title).toMatch(/^Error: User \d+ not found$/);
    expect(g?.count).toBe(1);
    const detail = (await (await server.api(`/errors/${g?.id}`)).json()) as {
      events: {
        event: {
          exceptions: { frames: { function: string; inApp: boolean }[] }[];
          tags: Record<string, string>;
          sdk: string;
        };
      }[];
    };
    const frames = detail.events[0]?.event.exceptions[0]?.frames ?? [];
    expect(frames.filter((f) => f.inApp).map((f) => f.function)).toEqual(
      expect.arrayContaining(["loadUser", "handleRequest"]),
    );
    expect(detail.events[0]?.event.tags.region).toBe("eu");
    expect(detail.events[0]?.event.sdk).toMatch(/^sentry\.javascript\.node\//);

    // another user id in the message: the normalised message keeps it in the same group
    await report({ USER_ID: "u2" });
    const after = await groups();
    expect(after).toHaveLength(1);
    [g] = after;
    expect(g?.count).toBe(2);
    firstGroup = g?.id as number;
  }, 60_000);

  it("splits groups by fingerprint and merges different errors that share one", async () => {
    await report({ FINGERPRINT: JSON.stringify(["{{ default }}", "tenant-a"]) });
    expect(await groups()).toHaveLength(2);
    await report({ KIND: "other", FINGERPRINT: JSON.stringify(["{{ default }}", "tenant-a"]) });
    expect(await groups()).toHaveLength(3);
    await report({ FINGERPRINT: JSON.stringify(["checkout-failure"]) });
    await report({ KIND: "other", FINGERPRINT: JSON.stringify(["checkout-failure"]) });
    const all = await groups();
    expect(all).toHaveLength(4);
    expect(all[0]?.count).toBe(2);
  }, 60_000);

  it("reopens a resolved group as a regression when it happens again", async () => {
    const g = (await groups()).find((x) => x.id === firstGroup) as Group;
    const res = await server.api(`/errors/${g.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "resolved" }),
    });
    expect(((await res.json()) as Group).status).toBe("resolved");
    await report();
    const again = (await groups()).find((x) => x.id === g.id) as Group;
    expect(again).toMatchObject({ status: "unresolved", regressed: true, count: 3 });
  }, 60_000);
});

describe("the intake's protocol", () => {
  const post = (body: Buffer | string, headers: Record<string, string> = {}, query = "") =>
    fetch(`${server.url}/api/${projectId}/envelope/${query}`, {
      method: "POST",
      headers: { "content-type": "application/x-sentry-envelope", ...headers },
      body,
    });
  const event = (id: string, message = "gzip works") => ({
    event_id: id,
    message,
    level: "warning",
    exception: { values: [{ type: "RangeError", value: message }] },
  });

  it("takes gzip bodies, answers the event id, and stores a repeated event id once", async () => {
    const id = "a".repeat(32);
    const body = zlib.gzipSync(envelope(event(id)));
    for (let i = 0; i < 2; i++) {
      const res = await post(body, { "content-encoding": "gzip" });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id });
    }
    const deflated = zlib.deflateSync(envelope(event("b".repeat(32))));
    expect((await post(deflated, { "content-encoding": "deflate" })).status).toBe(200);
    const g = (await groups()).find((x) => x.title === "RangeError: gzip works");
    expect(g?.count).toBe(2);
  });

  it("ignores other item types", async () => {
    const body = `${JSON.stringify({ dsn })}\n{"type":"session"}\n{"sid":"x","status":"ok"}\n{"type":"client_report"}\n{}\n`;
    expect((await post(body)).status).toBe(200);
  });

  it("refuses a missing key with 401 and a wrong one with 403", async () => {
    const body = envelope(event("c".repeat(32)), "http://x@127.0.0.1/1").replace(
      /"dsn":"[^"]*"/,
      '"x":1',
    );
    expect((await post(body)).status).toBe(401);
    expect((await post(body, {}, "?sentry_key=0123456789abcdef0123456789abcdef")).status).toBe(403);
    expect(
      (await post(body, { "x-sentry-auth": `Sentry sentry_version=7, sentry_key=${key}` })).status,
    ).toBe(200);
  });

  it("answers 413 above the envelope and event limits, compressed or not", async () => {
    expect((await post("x".repeat(300 * 1024))).status).toBe(413);
    const big = zlib.gzipSync(envelope(event("d".repeat(32), "y".repeat(100 * 1024))));
    expect(big.length).toBeLessThan(64 * 1024);
    const res = await post(big, { "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("event_too_large");
  });

  it("answers 429 with Retry-After past the project's rate", async () => {
    const r = (await (await server.api("/services/limited/reporting")).json()) as { dsn: string };
    const u = new URL(r.dsn);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 45; i++) {
      const res = await fetch(`${server.url}/api${u.pathname}/store/?sentry_key=${u.username}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: `burst ${i}` }),
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(40);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
