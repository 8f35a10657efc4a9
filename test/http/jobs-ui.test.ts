import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerPool } from "../../src/queue/workers.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { ended, startJobWorkers, waitRun } from "../helpers/jobs.ts";

let t: TestApp;
let pool: WorkerPool;
beforeAll(async () => {
  t = createTestApp();
  pool = startJobWorkers(t.deps);
  await t.json("/api/v1/templates", "POST", {
    name: "greet",
    interpreter: "sh",
    body: 'echo "hello $BERTH_ARG_NAME"',
    params: [
      { name: "name", type: "string", required: true, pattern: "[a-z]+", help: "lowercase" },
      { name: "input", type: "file", required: false },
    ],
  });
  await t.json("/api/v1/jobs", "POST", { name: "greeter", template: "greet", category: "demo" });
});
afterAll(async () => {
  await pool.stop();
  await t.close();
});

const form = (fields: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
};
const post = (path: string, body: FormData | URLSearchParams) =>
  t.request(path, { method: "POST", body, headers: { origin: "http://localhost:8080" } });

describe("jobs pages", () => {
  it("generates the run form from the parameters and puts messages beside the fields", async () => {
    const page = await (await t.request("/jobs/greeter")).text();
    expect(page).toContain('name="name"');
    expect(page).toContain('pattern="[a-z]+"');
    expect(page).toContain('type="file" name="input"');
    const bad = await post("/jobs/greeter/run", form({ name: "NOT-LOWER" }));
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toMatch(/id="args\.name-error"[^>]*>name: does not match/);
    expect(t.deps.jobs.repos.runs.list({ limit: 10 })).toHaveLength(0);
  });

  it("starts a run from the form, shows its output, and counts it on the jobs page", async () => {
    const res = await post("/jobs/greeter/run", form({ name: "ada" }));
    expect(res.status).toBe(303);
    const id = (res.headers.get("location") ?? "").replace("/runs/", "");
    await waitRun(t.deps, id, ended);
    const page = await (await t.request(`/runs/${id}`)).text();
    expect(page).toContain("hello ada");
    expect(page).toContain("succeeded");
    const list = await (await t.request("/jobs")).text();
    expect(list).toContain("demo");
    expect(list).toMatch(/1 succeeded/);
    const runs = await (await t.request("/runs?q=ada&status=succeeded")).text();
    expect(runs).toContain(id.slice(-8));
  });

  it("the live output of the run page starts where the page ended, with nothing lost", async () => {
    await t.json("/api/v1/templates", "POST", {
      name: "slow-print",
      interpreter: "sh",
      body: "echo early-line; sleep 30",
    });
    await t.json("/api/v1/jobs", "POST", { name: "slow-print", template: "slow-print" });
    const run = (await (await t.json("/api/v1/jobs/slow-print/runs", "POST", {})).json()) as {
      id: string;
    };
    await waitRun(t.deps, run.id, () => t.deps.jobs.live.get(run.id)?.log.total === 11);
    // a page rendered before the line came passes after=0: the stream replays it
    const res = await t.request(`/ui/runs/${run.id}/log?after=0`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("early-line");
    await reader.cancel();
    // a page that showed it passes its end: no line twice
    const page = await (await t.request(`/runs/${run.id}`)).text();
    expect(page).toContain("early-line");
    expect(page).toContain("log?after=11");
    // the API stream resumes after the offset a client last saw
    const api = await t.request(`/api/v1/runs/${run.id}/log`, {
      headers: { accept: "text/event-stream", "last-event-id": "6" },
    });
    const apiReader = (api.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await apiReader.read()).value);
    expect(first).toContain('"text":"line\\n"');
    expect(first).toContain("id: 11");
    await apiReader.cancel();
    await t.json(`/api/v1/runs/${run.id}/cancel`, "POST", {});
    await waitRun(t.deps, run.id, ended);
  });

  it("saves a template edit as a new version", async () => {
    const body = new URLSearchParams({
      interpreter: "sh",
      body: "echo v2",
      "p0.name": "name",
      "p0.type": "string",
      "p0.required": "true",
    });
    const res = await post("/templates/greet", body);
    expect(res.status).toBe(303);
    const t2 = (await (await t.request("/api/v1/templates/greet")).json()) as {
      latestVersion: number;
    };
    expect(t2.latestVersion).toBe(2);
    const bad = await post(
      "/templates/greet",
      new URLSearchParams({ interpreter: "cobol", body: "x" }),
    );
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('id="interpreter-error"');
  });
});
