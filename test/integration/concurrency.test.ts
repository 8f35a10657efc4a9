import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeZip } from "../helpers/app.ts";
import { fetchSite, type RunningServer, startServer } from "../helpers/server.ts";

let dir: string;
let server: RunningServer;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-int-"));
  server = await startServer(dir);
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const api = (p: string, init?: RequestInit) => server.api(p, init);

function upload(service: string, env: string, zip: Buffer, message: string) {
  const form = new FormData();
  form.set("bundle", new Blob([new Uint8Array(zip)]), "site.zip");
  form.set("message", message);
  return api(`/services/${service}/environments/${env}/deployments`, {
    method: "POST",
    body: form,
  });
}

async function settle(ids: string[]) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const all = await Promise.all(
      ids.map(
        async (id) =>
          (await (await api(`/deployments/${id}`)).json()) as { id: string; status: string },
      ),
    );
    if (all.every((d) => !["queued", "preparing", "activating"].includes(d.status))) return all;
    if (Date.now() > deadline) throw new Error("deployments did not settle");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a real server under concurrent deploys", () => {
  it("20 simultaneous deploys to one environment end consistent", async () => {
    await api("/services", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "busy" }),
    });
    const files = (i: number) => {
      const out: Record<string, string> = { "index.html": `release ${i}` };
      for (let f = 0; f < 30; f++) out[`assets/f${f}.txt`] = `${i}:${f}`;
      return out;
    };
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        upload("busy", "production", makeZip(files(i)), `r${i}`),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
    const ids = await Promise.all(
      responses.map(async (r) => ((await r.json()) as { id: string }).id),
    );
    const all = await settle(ids);
    expect(all.filter((d) => d.status === "failed")).toEqual([]);
    const live = all.filter((d) => d.status === "live");
    expect(live).toHaveLength(1);
    // the last one accepted is the one live: deployments ran one at a time, in order
    const newest = [...ids].sort().at(-1) as string;
    expect(live[0]?.id).toBe(newest);
    const env = (await (await api("/services/busy/environments/production")).json()) as {
      live: { id: string; message: string };
    };
    expect(env.live.id).toBe(newest);
    // what is served is exactly the live release, every file of it
    const n = env.live.message.slice(1);
    expect((await fetchSite(server, "production--busy.localhost")).body).toBe(`release ${n}`);
    expect((await fetchSite(server, "production--busy.localhost", "/assets/f29.txt")).body).toBe(
      `${n}:29`,
    );
    // retention (10) holds on disk, and no staging directory is left behind
    const releases = fs.readdirSync(path.join(dir, "sites/busy/production/releases"));
    expect(releases.filter((r) => r.endsWith(".staging"))).toEqual([]);
    expect(releases.length).toBe(10);
    expect(fs.readlinkSync(path.join(dir, "sites/busy/production/current"))).toBe(
      path.join("releases", newest),
    );
  });

  it("deploys to different environments run side by side", async () => {
    await api("/services", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "wide", environments: ["a", "b", "c", "d"] }),
    });
    const envs = ["a", "b", "c", "d"];
    const responses = await Promise.all(
      envs.map((e) => upload("wide", e, makeZip({ "index.html": `env ${e}` }), e)),
    );
    const ids = await Promise.all(
      responses.map(async (r) => ((await r.json()) as { id: string }).id),
    );
    const all = await settle(ids);
    expect(all.map((d) => d.status)).toEqual(["live", "live", "live", "live"]);
    for (const e of envs)
      expect((await fetchSite(server, `${e}--wide.localhost`)).body).toBe(`env ${e}`);
  });
});
