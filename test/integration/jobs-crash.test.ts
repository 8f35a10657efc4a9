import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pidsOfRun } from "../helpers/jobs.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-jobs-crash-"));
const dataDir = path.join(root, "data");
const env = { BERTH_SECRET_KEY: "22".repeat(32) };
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.kill9();
  fs.rmSync(root, { recursive: true, force: true });
});

type Run = { id: string; status: string; retryOf: string | null; scheduledFor: string | null };
const json = async <T>(res: Response | Promise<Response>): Promise<T> =>
  (await res).json() as Promise<T>;
const post = (s: RunningServer, p: string, body: unknown) =>
  s.api(p, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number) => {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

describe("kill -9 of the server mid-run, then a restart", () => {
  it("marks the run interrupted, retries it, and keeps the delayed run", async () => {
    server = await startServer(dataDir, env);
    const s = server;
    expect(
      (
        await post(s, "/templates", {
          name: "slow",
          interpreter: "sh",
          body: "echo started; sleep 300",
        })
      ).status,
    ).toBe(201);
    expect(
      (await post(s, "/jobs", { name: "slow", template: "slow", retries: 1, retryDelaySeconds: 0 }))
        .status,
    ).toBe(201);
    const later = await json<Run>(post(s, "/jobs/slow/runs", { delaySeconds: 3600 }));
    const run = await json<Run>(post(s, "/jobs/slow/runs", {}));
    await until("the run to print", async () => {
      const log = await json<{ chunks: { text: string }[] }>(s.api(`/runs/${run.id}/log`));
      return log.chunks.some((c) => c.text.includes("started")) || undefined;
    });
    const pids = pidsOfRun(run.id);
    expect(pids.length).toBeGreaterThan(0);

    await s.kill9();
    await until("the sandbox to die with the server", async () =>
      pids.some(alive) ? undefined : true,
    );

    server = await startServer(dataDir, env, { seed: false });
    const s2 = { ...server, key: s.key };
    const api2 = (p: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${s.key}`);
      if (init.body) headers.set("content-type", "application/json");
      return fetch(`${s2.url}/api/v1${p}`, { ...init, headers });
    };
    const cut = await json<Run>(api2(`/runs/${run.id}`));
    expect(cut.status).toBe("interrupted");
    expect((await json<Run>(api2(`/runs/${later.id}`))).status).toBe("scheduled");
    const retry = await until("the retry to run", async () => {
      const list = await json<{ items: Run[] }>(api2("/runs?job=slow"));
      const r = list.items.find((x) => x.retryOf === run.id);
      return r?.status === "running" ? r : undefined;
    });
    const cancel = await api2(`/runs/${retry.id}/cancel`, { method: "POST", body: "{}" });
    expect(cancel.status).toBe(202);
    await until("the retry to be cancelled", async () => {
      const r = await json<Run>(api2(`/runs/${retry.id}`));
      return r.status === "cancelled" ? r : undefined;
    });
  }, 60_000);
});
