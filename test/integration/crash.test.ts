import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeZip } from "../helpers/app.ts";
import { fetchSite, type RunningServer, startServer } from "../helpers/server.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-crash-"));
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.kill9();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function upload(s: RunningServer, zip: Buffer) {
  const res = await s.api("/services/site/environments/production/deployments", {
    method: "POST",
    headers: { "content-type": "application/zip" },
    body: new Uint8Array(zip),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe("kill -9 in the middle of a deployment", () => {
  it("leaves no deployment and no unpacked files at the next start, and keeps serving the last release", async () => {
    server = await startServer(dir, { BERTH_MAX_ENTRIES: "100000" });
    await server.api("/services", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "site" }),
    });
    const first = await upload(server, makeZip({ "index.html": "stable" }));
    for (let i = 0; ; i++) {
      const d = (await (await server.api(`/deployments/${first}`)).json()) as { status: string };
      if (d.status === "live") break;
      if (i > 400) throw new Error("first deployment never went live");
      await new Promise((r) => setTimeout(r, 25));
    }
    // a bundle big enough that unpacking it (before the 202) is still running when the process dies
    const files: Record<string, Buffer> = { "index.html": Buffer.from("new") };
    for (let i = 0; i < 8000; i++) files[`f/${i}.bin`] = Buffer.alloc(2048, i % 251);
    const big = makeZip(files);
    const unpackedDir = path.join(dir, "tmp/unpacked");
    const pending = server
      .api("/services/site/environments/production/deployments", {
        method: "POST",
        headers: { "content-type": "application/zip" },
        body: new Uint8Array(big),
      })
      .catch(() => null);
    let unpacking = false;
    for (let i = 0; i < 5000 && !unpacking; i++) {
      const dirs = fs.existsSync(unpackedDir) ? fs.readdirSync(unpackedDir) : [];
      unpacking = dirs.some((d) => fs.existsSync(path.join(unpackedDir, d, "f")));
      if (!unpacking) await new Promise((r) => setTimeout(r, 2));
    }
    expect(unpacking).toBe(true);
    await server.kill9();
    await pending;

    server = await startServer(dir);
    expect(fs.existsSync(unpackedDir)).toBe(false);
    const list = (await (
      await server.api("/services/site/environments/production/deployments")
    ).json()) as { items: { id: string }[] };
    expect(list.items.map((d) => d.id)).toEqual([first]);
    expect(fs.readlinkSync(path.join(dir, "sites/site/production/current"))).toBe(
      path.join("releases", first),
    );
    expect((await fetchSite(server, "production--site.localhost")).body).toBe("stable");
    // and the environment still takes deployments
    const third = await upload(server, makeZip({ "index.html": "after" }));
    for (let i = 0; ; i++) {
      const d = (await (await server.api(`/deployments/${third}`)).json()) as { status: string };
      if (d.status === "live") break;
      if (i > 400) throw new Error("deployment after restart never went live");
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await fetchSite(server, "production--site.localhost")).body).toBe("after");
  });
});
