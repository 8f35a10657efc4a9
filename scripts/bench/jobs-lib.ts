/** Helpers of the jobs benchmarks: templates, jobs and runs over the API. */
import { api } from "./lib.ts";

export type BenchRun = {
  id: string;
  status: string;
  terminal: boolean;
  durationMs: number | null;
  createdAt: string;
  scheduledFor: string | null;
  startedAt: string | null;
  log: { bytes: number; dropped: number };
};

export async function makeJob(base: string, name: string, body: string, extra: object = {}) {
  const t = await api(base, "/templates", "POST", { name, interpreter: "sh", body });
  if (t.status !== 201) throw new Error(`template ${name}: ${t.status} ${JSON.stringify(t.json)}`);
  const j = await api(base, "/jobs", "POST", { name, template: name, ...extra });
  if (j.status !== 201) throw new Error(`job ${name}: ${j.status} ${JSON.stringify(j.json)}`);
}

export async function waitEnded(base: string, id: string, pollMs = 20): Promise<BenchRun> {
  for (;;) {
    const { json } = await api<BenchRun>(base, `/runs/${id}`);
    if (json.terminal) return json;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function rawOutput(base: string, id: string, headers: Record<string, string>) {
  return (await fetch(`${base}/api/v1/runs/${id}/output`, { headers })).text();
}
