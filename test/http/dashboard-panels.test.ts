import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerPool } from "../../src/queue/workers.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { type FakeKube, startFakeKube } from "../fakes/kubernetes/index.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { ended, makeJob, startJobWorkers, waitRun } from "../helpers/jobs.ts";

/** The board's job runs list and pods column, against real job runs and the fake cluster. */
let t: TestApp;
let fake: FakeKube;
let pool: WorkerPool;

const rowOf = (html: string, id: string) => {
  const at = html.indexOf(`id="${id}"`);
  expect(at).toBeGreaterThan(-1);
  const rest = html.slice(at);
  return rest.slice(0, rest.indexOf("</tr>"));
};
const home = async () => {
  const res = await t.request("/");
  expect(res.status).toBe(200);
  return res.text();
};
/** The home page once `ok` holds for it (the pods cell fills in after a background read). */
async function homeUntil(ok: (html: string) => boolean): Promise<string> {
  let html = "";
  for (let i = 0; i < 100; i++) {
    html = await home();
    if (ok(html)) return html;
    await new Promise((r) => setTimeout(r, 50));
  }
  return html;
}

beforeAll(async () => {
  fake = await startFakeKube({ metrics: true });
  t = createTestApp();
  pool = startJobWorkers(t.deps);
  for (const [name, kind] of [
    ["shop", "container"],
    ["blog", "static"],
  ] as const)
    expect((await t.json("/api/v1/services", "POST", { name, kind })).status).toBe(201);
});
afterAll(async () => {
  await pool.stop();
  await t.close();
  await fake.stop();
});

describe("the board's panels", () => {
  it("lists a finished job run with its status, job name and link", async () => {
    const job = makeJob(t.deps, "echo nightly backup");
    const res = await t.json(`/api/v1/jobs/${job}/runs`, "POST", {});
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect((await waitRun(t.deps, id, ended)).status).toBe("succeeded");
    const html = await home();
    const list = html.slice(html.indexOf('id="board-list-jobs"'));
    expect(list).toContain("Last job runs");
    expect(list).toMatch(
      new RegExp(`badge-succeeded">succeeded</span> <a href="/runs/${id}">${job}</a>`),
    );
  });

  it("keeps the job runs from a key limited to one service", async () => {
    const owner = t.deps.repos.users.byEmail("owner@example.com");
    if (!owner) throw new Error("no owner");
    const limited = createApiKey(t.deps, owner, { name: "s", scope: "read", service: "shop" });
    const res = await t.anon("/", { headers: { authorization: `Bearer ${limited.key}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="board-shop-production"');
    expect(html).not.toContain('id="board-list-jobs"');
  });

  it("shows pods ready/total with CPU and memory for a container environment", async () => {
    // no cluster yet: said so, and the static service has no pods cell
    const before = await home();
    expect(rowOf(before, "board-shop-production")).toContain("no cluster");
    expect(rowOf(before, "board-blog-production")).not.toContain("no cluster");

    expect(
      (await t.json("/api/v1/settings/kubernetes", "PUT", { kubeconfig: fake.kubeconfig() }))
        .status,
    ).toBe(200);
    const base = "/api/v1/services/shop/environments/production";
    expect(
      (await t.json(`${base}/container`, "PUT", { image: "nginx:1.27", port: 80, replicas: 2 }))
        .status,
    ).toBe(200);
    const res = await t.json(`${base}/deployments`, "POST", {});
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    let status = "";
    for (let i = 0; i < 200 && !["live", "failed"].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = ((await (await t.request(`/api/v1/deployments/${id}`)).json()) as { status: string })
        .status;
    }
    expect(status).toBe("live");

    const html = await homeUntil((h) => /2\/2 · \d+m CPU · \d+ MiB/.test(h));
    const cell = rowOf(html, "board-shop-production");
    expect(cell).toMatch(/class="tone-ok"[^>]*>2\/2 · \d+m CPU · \d+ MiB</);
    expect(cell).toContain('title="2 of 2 pod(s) ready"');

    // the pods carry the release error reports are matched by
    const d = fake.cluster.store.get("deployments", "berth", "shop-production");
    const env = d.spec.template.spec.containers[0].env as { name: string; value: string }[];
    expect(env).toContainEqual({ name: "BERTH_RELEASE", value: `${id}@nginx:1.27` });
  });

  it("marks an unreachable cluster without holding the page", async () => {
    const dead = fake.kubeconfig().replace(fake.url, "http://127.0.0.1:1");
    expect(dead).not.toContain(fake.url);
    expect((await t.json("/api/v1/settings/kubernetes", "PUT", { kubeconfig: dead })).status).toBe(
      200,
    );
    // the first page after the change answers from no reading at all
    expect(rowOf(await home(), "board-shop-production")).toContain(">…<");
    const html = await homeUntil((h) => rowOf(h, "board-shop-production").includes("unreachable"));
    expect(rowOf(html, "board-shop-production")).toContain("unreachable");
  });
});
