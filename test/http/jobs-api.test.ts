import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerPool } from "../../src/queue/workers.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { ended, startJobWorkers, waitRun } from "../helpers/jobs.ts";

let t: TestApp;
let pool: WorkerPool;
type RunBody = { id: string; status: string; args: Record<string, string>; files: unknown[] };

const params = [
  { name: "target", type: "choice", required: true, choices: ["staging", "production"] },
  { name: "count", type: "number", required: false, default: 1 },
  { name: "tag", type: "string", required: false, pattern: "v[0-9]+" },
  { name: "token", type: "secret", required: false },
  { name: "data", type: "file", required: false },
];
const body = [
  'echo "target=$BERTH_ARG_TARGET count=$2 token=$BERTH_ARG_TOKEN"',
  'if [ -n "$BERTH_ARG_DATA" ]; then cat "$BERTH_ARG_DATA"; fi',
  "echo needle-in-the-output >&2",
].join("\n");

beforeAll(async () => {
  t = createTestApp();
  pool = startJobWorkers(t.deps);
  t.deps.jobs.limits = { ...t.deps.jobs.limits, maxFileBytes: 1000 };
  const tpl = await t.json("/api/v1/templates", "POST", {
    name: "deploy-check",
    interpreter: "sh",
    body,
    params,
  });
  expect(tpl.status).toBe(201);
  const job = await t.json("/api/v1/jobs", "POST", {
    name: "check",
    template: "deploy-check",
    category: "smoke",
    tags: ["nightly"],
  });
  expect(job.status).toBe(201);
});
afterAll(async () => {
  await pool.stop();
  await t.close();
});

const counts = () => ({
  runs: t.deps.jobs.repos.runs.list({ limit: 1000 }).length,
  tasks: t.deps.db.$client.prepare("select count(*) n from tasks").get(),
});

describe("bad input answers 422 naming the field, with nothing queued", () => {
  const cases: [string, unknown, string][] = [
    ["an unknown parameter", { args: { target: "staging", nope: 1 } }, "args.nope"],
    ["a wrong type", { args: { target: "staging", count: "many" } }, "args.count"],
    ["a missing required argument", { args: {} }, "args.target"],
    ["a value outside the choices", { args: { target: "moon" } }, "args.target"],
    [
      "a value not matching the pattern",
      { args: { target: "staging", tag: "latest" } },
      "args.tag",
    ],
    [
      "a runAt in the past",
      { args: { target: "staging" }, runAt: "2020-01-01T00:00:00Z" },
      "runAt",
    ],
  ];
  for (const [what, payload, field] of cases) {
    it(what, async () => {
      const before = counts();
      const res = await t.json("/api/v1/jobs/check/runs", "POST", payload);
      expect(res.status).toBe(422);
      const err = ((await res.json()) as { error: { field: string } }).error;
      expect(err.field).toBe(field);
      expect(counts()).toEqual(before);
    });
  }

  it("a file over the limit", async () => {
    const before = counts();
    const form = new FormData();
    form.set("target", "staging");
    form.set("data", new Blob(["x".repeat(5000)]), "big.txt");
    const res = await t.request("/api/v1/jobs/check/runs", { method: "POST", body: form });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe("files.data");
    expect(counts()).toEqual(before);
  });

  it("an invalid cron expression or time zone", async () => {
    const bad = async (extra: object, field: string) => {
      const res = await t.json("/api/v1/jobs", "POST", {
        name: "x",
        template: "deploy-check",
        ...extra,
      });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    };
    await bad({ cron: "61 * * * *" }, "cron");
    await bad({ cron: "0 3 * * *", timezone: "Mars/Olympus" }, "timezone");
    await bad({ args: { count: "x" } }, "args.count");
    expect(t.deps.jobs.repos.jobs.byName("x")).toBeUndefined();
  });
});

it("documents the jobs routes in the OpenAPI document", async () => {
  const doc = (await (await t.request("/api/openapi.json")).json()) as {
    paths: Record<string, object>;
  };
  for (const p of [
    "/templates",
    "/jobs/{job}/runs",
    "/runs/{id}/log",
    "/runs/{id}/rerun",
    "/scheduling/pause",
  ])
    expect(doc.paths[p], p).toBeDefined();
});

describe("a run through the API", () => {
  let first: RunBody;
  it("runs with a file, masks the secret everywhere, and is found by its output", async () => {
    const form = new FormData();
    form.set("args", JSON.stringify({ target: "production", token: "hunter2-secret", count: 5 }));
    form.set("data", new Blob(["file-content-here\n"]), "in.txt");
    const res = await t.request("/api/v1/jobs/check/runs", { method: "POST", body: form });
    expect(res.status).toBe(202);
    first = (await res.json()) as RunBody;
    expect(first.args.token).toBe("***");
    const done = await waitRun(t.deps, first.id, ended);
    expect(done.status).toBe("succeeded");

    const raw = await (await t.request(`/api/v1/runs/${first.id}/output`)).text();
    expect(raw).toContain("target=production count=5 token=***\n");
    expect(raw).toContain("file-content-here\n");
    expect(raw).not.toContain("hunter2");

    const slice = (await (
      await t.request(`/api/v1/runs/${first.id}/log?offset=0&length=100000`)
    ).json()) as {
      chunks: { stream: string; text: string }[];
    };
    expect(slice.chunks.some((c) => c.stream === "stderr" && c.text.includes("needle"))).toBe(true);

    const sse = await t.request(`/api/v1/runs/${first.id}/log`, {
      headers: { accept: "text/event-stream" },
    });
    const events = await sse.text();
    expect(events).toContain("event: output");
    expect(events).toContain('event: end\ndata: {"status":"succeeded"}');

    const found = (await (await t.request("/api/v1/runs?q=needle-in-the-output")).json()) as {
      items: RunBody[];
    };
    expect(found.items.map((r) => r.id)).toEqual([first.id]);
    const none = (await (await t.request("/api/v1/runs?q=absent-word")).json()) as {
      items: RunBody[];
    };
    expect(none.items).toEqual([]);
    const byTag = (await (await t.request("/api/v1/runs?tag=nightly&status=succeeded")).json()) as {
      items: RunBody[];
    };
    expect(byTag.items.map((r) => r.id)).toContain(first.id);
    const byCat = (await (await t.request("/api/v1/runs?category=other")).json()) as {
      items: RunBody[];
    };
    expect(byCat.items).toEqual([]);

    const list = (await (await t.request("/api/v1/jobs")).json()) as {
      categories: { name: string; counts: Record<string, number> }[];
    };
    expect(list.categories.find((c) => c.name === "smoke")?.counts.succeeded).toBe(1);
  });

  it("reruns with the same arguments, secret and file", async () => {
    const res = await t.json(`/api/v1/runs/${first.id}/rerun`, "POST", {});
    expect(res.status).toBe(202);
    const again = (await res.json()) as RunBody & { rerunOf: string };
    expect(again.rerunOf).toBe(first.id);
    expect(again.files).toHaveLength(1);
    const done = await waitRun(t.deps, again.id, ended);
    expect(done.status).toBe("succeeded");
    const raw = await (await t.request(`/api/v1/runs/${again.id}/output`)).text();
    expect(raw).toContain("target=production count=5 token=***\nfile-content-here\n");
  });

  it("keeps a delayed run as scheduled and cancels it", async () => {
    const res = await t.json("/api/v1/jobs/check/runs", "POST", {
      args: { target: "staging" },
      delaySeconds: 600,
    });
    const run = (await res.json()) as RunBody;
    expect(run.status).toBe("scheduled");
    const c = await t.json(`/api/v1/runs/${run.id}/cancel`, "POST", {});
    expect(((await c.json()) as RunBody).status).toBe("cancelled");
    expect((await t.json(`/api/v1/runs/${run.id}/cancel`, "POST", {})).status).toBe(409);
  });
});
