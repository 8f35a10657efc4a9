import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
  t = createTestApp({ retention: 3 });
  await t.json("/api/v1/services", "POST", {
    name: "site",
    environments: ["production", "staging"],
  });
});
afterEach(() => t.close());

type D = {
  id: string;
  status: string;
  previewUrl: string;
  fileCount: number;
  failure: unknown;
  onDisk: boolean;
};
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error;

async function deploy(
  files: Record<string, string>,
  env = "production",
  message?: string,
): Promise<D> {
  const res = await uploadZip(t, "site", env, makeZip(files), message);
  expect(res.status).toBe(202);
  const body = (await res.json()) as D;
  expect(res.headers.get("location")).toBe(`/api/v1/deployments/${body.id}`);
  return (await waitForDeployment(t, body.id)) as unknown as D;
}

describe("deploying a bundle", () => {
  it("goes live and is served at the environment URL and the preview URL", async () => {
    const d = await deploy(
      { "index.html": "<h1>one</h1>", "css/app.css": "body{}" },
      "production",
      "first",
    );
    expect(d.status).toBe("live");
    expect(d.fileCount).toBe(2);
    expect(d.previewUrl).toBe(`http://${d.id}--site.localhost:8080`);
    const home = await site(t, "production--site.localhost:8080");
    expect(home.status).toBe(200);
    expect(home.body).toBe("<h1>one</h1>");
    expect(home.headers.get("content-type")).toContain("text/html");
    expect((await site(t, "production--site.localhost", "/css/app.css")).body).toBe("body{}");
    expect((await site(t, `${d.id}--site.localhost`)).body).toBe("<h1>one</h1>");
    // other environments stay empty
    expect((await site(t, "staging--site.localhost")).status).toBe(404);
    const env = (await (
      await t.request("/api/v1/services/site/environments/production")
    ).json()) as {
      live: { id: string; message: string };
    };
    expect(env.live).toMatchObject({ id: d.id, message: "first" });
  });

  it("accepts a raw application/zip body with message and commit in the query", async () => {
    const res = await t.request(
      "/api/v1/services/site/environments/production/deployments?message=raw&commit=abc123",
      {
        method: "POST",
        headers: { "content-type": "application/zip" },
        body: new Uint8Array(makeZip({ "index.html": "raw" })),
      },
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as D;
    const d = (await waitForDeployment(t, id)) as unknown as D & {
      commit: string;
      message: string;
    };
    expect(d).toMatchObject({ status: "live", commit: "abc123", message: "raw" });
    expect((await site(t, "production--site.localhost")).body).toBe("raw");
  });

  it("accepts a raw application/gzip tar.gz", async () => {
    const { tarGz } = await import("../helpers/tar-bytes.ts");
    const res = await t.request("/api/v1/services/site/environments/production/deployments", {
      method: "POST",
      headers: { "content-type": "application/gzip" },
      body: new Uint8Array(
        await tarGz([
          { header: { name: "index.html" }, data: "from tar" },
          { header: { name: "a/b.txt" }, data: "b" },
        ]),
      ),
    });
    expect(res.status).toBe(202);
    const d = (await waitForDeployment(t, ((await res.json()) as D).id)) as unknown as D;
    expect(d.status).toBe("live");
    expect((await site(t, "production--site.localhost")).body).toBe("from tar");
    expect((await site(t, "production--site.localhost", "/a/b.txt")).body).toBe("b");
  });

  it("stores the bundle content-addressed and keeps it", async () => {
    const zip = makeZip({ "index.html": "kept" });
    const d = await deploy({ "index.html": "kept" });
    const full = (await (await t.request(`/api/v1/deployments/${d.id}`)).json()) as {
      bundle: { sha256: string };
    };
    const { createHash } = await import("node:crypto");
    expect(fs.existsSync(path.join(t.dir, "bundles", `${full.bundle.sha256}.zip`))).toBe(true);
    expect(full.bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(createHash("sha256").update(zip).digest("hex")).toHaveLength(64);
  });

  it("records every step in the release log", async () => {
    const d = await deploy({ "index.html": "x" });
    const log = (await (await t.request(`/api/v1/deployments/${d.id}/log`)).json()) as {
      status: string;
      lines: { step: string; message: string; at: string }[];
    };
    expect(log.status).toBe("live");
    const steps = log.lines.map((l) => l.step);
    expect(steps).toEqual(expect.arrayContaining(["receive", "validate", "extract", "activate"]));
    expect(log.lines[0]?.message).toMatch(/sha256 [0-9a-f]{64}/);
    expect(log.lines.find((l) => l.step === "validate")?.message).toContain("1 files");
    expect(log.lines.every((l) => !Number.isNaN(Date.parse(l.at)))).toBe(true);
  });

  it("streams the log as Server-Sent Events until the deployment ends", async () => {
    const res = await uploadZip(t, "site", "production", makeZip({ "index.html": "sse" }));
    const { id } = (await res.json()) as D;
    const sse = await t.request(`/api/v1/deployments/${id}/log`, {
      headers: { accept: "text/event-stream" },
    });
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    const text = await sse.text(); // completes only when the stream closes
    expect(text).toContain("event: line");
    expect(text).toContain("Received zip bundle");
    expect(text).toMatch(/event: end\ndata: \{"status":"live"\}/);
  });

  it("lists deployments newest first with pagination", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await deploy({ "index.html": `v${i}` })).id);
    const page1 = (await (
      await t.request("/api/v1/services/site/environments/production/deployments?limit=2")
    ).json()) as {
      items: D[];
      nextCursor: string;
    };
    expect(page1.items.map((d) => d.id)).toEqual([ids[2], ids[1]]);
    const page2 = (await (
      await t.request(
        `/api/v1/services/site/environments/production/deployments?limit=2&before=${page1.nextCursor}`,
      )
    ).json()) as { items: D[]; nextCursor: null };
    expect(page2.items.map((d) => d.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();
  });
});

describe("rollback and retention", () => {
  it("rolls back to the previous good release and then to a named one", async () => {
    const a = await deploy({ "index.html": "A" });
    const b = await deploy({ "index.html": "B" });
    const c = await deploy({ "index.html": "C" });
    expect((await site(t, "production--site.localhost")).body).toBe("C");
    const res = await t.json("/api/v1/services/site/environments/production/rollback", "POST", {});
    expect(res.status).toBe(200);
    expect(((await res.json()) as D).id).toBe(b.id);
    expect((await site(t, "production--site.localhost")).body).toBe("B");
    const named = await t.json("/api/v1/services/site/environments/production/rollback", "POST", {
      deploymentId: a.id,
    });
    expect(((await named.json()) as D).status).toBe("live");
    expect((await site(t, "production--site.localhost")).body).toBe("A");
    const cNow = (await (await t.request(`/api/v1/deployments/${c.id}`)).json()) as D;
    expect(cNow.status).toBe("superseded");
    const log = (await (await t.request(`/api/v1/deployments/${a.id}/log`)).json()) as {
      lines: { step: string }[];
    };
    expect(log.lines.some((l) => l.step === "rollback")).toBe(true);
  });

  it("refuses a rollback with nothing to roll back to (409) and to an unknown id (404)", async () => {
    const none = await t.json("/api/v1/services/site/environments/production/rollback", "POST", {});
    expect(none.status).toBe(409);
    expect((await errorOf(none)).code).toBe("nothing_to_roll_back_to");
    const a = await deploy({ "index.html": "A" });
    const again = await t.json(
      "/api/v1/services/site/environments/production/rollback",
      "POST",
      {},
    );
    expect(again.status).toBe(409);
    const live = await t.json("/api/v1/services/site/environments/production/rollback", "POST", {
      deploymentId: a.id,
    });
    expect(live.status).toBe(409);
    expect((await errorOf(live)).code).toBe("already_live");
    const unknown = await t.json("/api/v1/services/site/environments/production/rollback", "POST", {
      deploymentId: "01aaaaaaaaaaaaaaaaaaaaaaaa",
    });
    expect(unknown.status).toBe(404);
    expect((await site(t, "production--site.localhost")).body).toBe("A");
  });

  it("prunes releases beyond retention, refuses to roll back to them, and redeploys them from the bundle", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await deploy({ "index.html": `v${i}` })).id);
    const releases = fs.readdirSync(path.join(t.dir, "sites/site/production/releases")).sort();
    expect(releases).toEqual([ids[2], ids[3], ids[4]].sort());
    const old = (await (await t.request(`/api/v1/deployments/${ids[0]}`)).json()) as D;
    expect(old.onDisk).toBe(false);
    const res = await t.json("/api/v1/services/site/environments/production/rollback", "POST", {
      deploymentId: ids[0],
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("release_pruned");
    expect((await site(t, `${ids[0]}--site.localhost`)).status).toBe(404);
    const re = await t.request(`/api/v1/deployments/${ids[0]}/redeploy`, { method: "POST" });
    expect(re.status).toBe(202);
    const d = (await waitForDeployment(t, ((await re.json()) as D).id)) as unknown as D & {
      redeployOf: string;
    };
    expect(d).toMatchObject({ status: "live", redeployOf: ids[0] });
    expect((await site(t, "production--site.localhost")).body).toBe("v0");
  });

  it("serializes deployments to one environment, in order", async () => {
    const uploads = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        uploadZip(t, "site", "production", makeZip({ "index.html": `n${i}` })),
      ),
    );
    const ids = await Promise.all(uploads.map(async (r) => ((await r.json()) as D).id));
    await t.deps.queue.idle();
    const all = await Promise.all(
      ids.map(async (id) => (await (await t.request(`/api/v1/deployments/${id}`)).json()) as D),
    );
    expect(all.filter((d) => d.status === "live")).toHaveLength(1);
    const newest = [...ids].sort().at(-1);
    expect(all.find((d) => d.status === "live")?.id).toBe(newest);
  });
});
