import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import { makeZip } from "../helpers/app.ts";
import { receiver } from "../helpers/receivers.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-monitor-"));
let server: RunningServer | undefined;
let hook: Awaited<ReturnType<typeof receiver>> | undefined;
afterAll(async () => {
  await server?.stop();
  await hook?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function deploy(s: RunningServer, files: Record<string, string>) {
  const res = await s.api("/services/site/environments/production/deployments", {
    method: "POST",
    headers: { "content-type": "application/zip" },
    body: new Uint8Array(makeZip(files)),
  });
  expect(res.status).toBe(202);
  const id = ((await res.json()) as { id: string }).id;
  await until("the deployment to go live", async () => {
    const d = (await (await s.api(`/deployments/${id}`)).json()) as { status: string };
    return d.status === "live" ? d : undefined;
  });
  return id;
}

describe("a real server: deploy, monitor, break, notify", () => {
  it("watches a deployed site, opens an incident when it breaks and sends a signed webhook", async () => {
    hook = await receiver();
    server = await startServer(dir, { BERTH_NOTIFY_ALLOW_PRIVATE: "on" });
    const s = server;
    await s.api("/services", json({ name: "site", environments: ["production"] }));
    const ch = (await (
      await s.api("/notification-channels", json({ name: "ops", kind: "webhook", url: hook.url }))
    ).json()) as {
      id: number;
      signingSecret: string;
    };
    expect(
      (await s.api("/notification-rules", json({ channelId: ch.id, event: "monitor.down" })))
        .status,
    ).toBe(201);

    const first = await deploy(s, { "index.html": "<h1>hello</h1>" });
    const monitor = await until("the automatic monitor", async () => {
      const list = (await (await s.api("/monitors")).json()) as {
        items: { id: number; auto: boolean }[];
      };
      return list.items.find((m) => m.auto);
    });
    const patch = await s.api(`/monitors/${monitor.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ interval: 1, fastInterval: 1, failuresBeforeDown: 2, timeoutMs: 800 }),
    });
    expect(patch.status).toBe(200);
    await until("the monitor to be up", async () => {
      const m = (await (await s.api(`/monitors/${monitor.id}`)).json()) as { status: string };
      return m.status === "up" ? m : undefined;
    });

    // a release without an index page: / answers 404 from now on
    const broken = await deploy(s, { "other.html": "no index here" });
    const got = await hook.next(1, 20_000);
    const event = new Webhook(ch.signingSecret).verify(
      got.body,
      got.headers as Record<string, string>,
    ) as {
      type: string;
      data: { text: string; incidentId: string; context: string };
    };
    expect(event.type).toBe("monitor.down");
    expect(event.data.text).toContain("answered 404, expected 200");
    expect(event.data.context).toContain(`after deployment ${broken} went live`);

    const incidents = await until("the incident row", async () => {
      const r = (await (await s.api("/incidents")).json()) as {
        items: { id: string; deploymentId: string; endedAt: string | null }[];
      };
      return r.items.length ? r.items : undefined;
    });
    expect(incidents[0]).toMatchObject({
      id: event.data.incidentId,
      deploymentId: broken,
      endedAt: null,
    });
    expect(first).not.toBe(broken);

    const checks = (await (await s.api(`/monitors/${monitor.id}/checks`)).json()) as {
      items: { ok: boolean }[];
    };
    expect(checks.items.some((c) => c.ok)).toBe(true);
    expect(checks.items.some((c) => !c.ok)).toBe(true);
  }, 60_000);
});
