/**
 * Container rollouts against the fake Kubernetes API (test/fakes/kubernetes), through the
 * real Berth server and the real client:
 *  - fail-fast: from the first CrashLoopBackOff (the moment the fake's kubelet sets it) to
 *    the rollout failed and the last good snapshot re-applied, against the window
 *    (failWindowSeconds); `kubectl rollout status` waits for progressDeadlineSeconds (600 s);
 *  - API calls per deploy: every request the fake received from the deploy's POST to live.
 *
 * Usage: node scripts/bench/k8s-rollout.ts   (BENCH_K8S_WINDOW=5 s, BENCH_K8S_CRASHES=3)
 */
import { type FakeKube, startFakeKube } from "../../test/fakes/kubernetes/index.ts";
import type { RunningServer } from "../../test/helpers/server.ts";
import { emitResult, fmt, median, removeDir, startBerth, tempDir } from "./lib.ts";

const WINDOW_S = Math.max(1, Number(process.env.BENCH_K8S_WINDOW ?? 5));
const CRASHES = Math.max(1, Number(process.env.BENCH_K8S_CRASHES ?? 3));
const TARGET_BEYOND_MS = 5000;
const KUBECTL_WAIT_S = 600;

type Line = { message: string; at: string };
const send = (s: RunningServer, method: string, p: string, body?: unknown) =>
  s.api(p, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function until(s: RunningServer, id: string): Promise<{ status: string; lines: Line[] }> {
  for (;;) {
    const body = (await (await s.api(`/deployments/${id}/log`)).json()) as {
      status: string;
      lines: Line[];
    };
    if (["live", "failed", "interrupted"].includes(body.status)) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function deploy(s: RunningServer, image: string): Promise<string> {
  const res = await send(s, "POST", "/services/bench/environments/production/deployments", {
    image,
  });
  if (res.status !== 202) throw new Error(`deploy answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

let fake: FakeKube | undefined;
let server: RunningServer | undefined;
const dir = tempDir("k8s");
try {
  fake = await startFakeKube({ token: "bench" });
  server = await startBerth(dir);
  await send(server, "PUT", "/settings/kubernetes", {
    kubeconfig: fake.kubeconfig(),
    failWindowSeconds: WINDOW_S,
  });
  await send(server, "POST", "/services", { name: "bench", kind: "container" });
  await send(server, "PUT", "/services/bench/environments/production/container", {
    image: "example.com/bench:1",
    replicas: 2,
    secretEnv: { TOKEN: "t" },
    readinessProbe: { httpGet: { path: "/healthz" } },
  });
  // a first deploy warms discovery and makes the namespace; the second is counted
  await until(server, await deploy(server, "example.com/bench:1"));
  const from = fake.cluster.requests.length;
  const good = await until(server, await deploy(server, "example.com/bench:2"));
  if (good.status !== "live") throw new Error(`the good deploy ended ${good.status}`);
  const calls = fake.cluster.requests.slice(from);
  const kinds = {
    apply: calls.filter((c) => c.method === "PATCH").length,
    watch: calls.filter((c) => c.watch).length,
    get: calls.filter((c) => c.method === "GET" && !c.watch).length,
    other: calls.filter((c) => c.method !== "PATCH" && c.method !== "GET").length,
  };

  const beyond: number[] = [];
  for (let i = 0; i < CRASHES; i++) {
    let firstCrash = 0;
    const listener = (e: {
      resource: string;
      object: { status?: { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] } };
    }) => {
      const reason = e.object.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      if (!firstCrash && e.resource === "pods" && reason === "CrashLoopBackOff")
        firstCrash = Date.now();
    };
    fake.cluster.store.listeners.add(listener);
    const log = await until(server, await deploy(server, `example.com/bench:crash-${i}`));
    fake.cluster.store.listeners.delete(listener);
    const reapplied = log.lines.find((l) => l.message.startsWith("Re-applying the last good"));
    const healthy = log.lines.find((l) => l.message.startsWith("Healthy again"));
    if (log.status !== "failed" || !reapplied || !healthy || !firstCrash)
      throw new Error("the crash deploy did not fail and recover");
    const ms = new Date(reapplied.at).getTime() - firstCrash;
    beyond.push(ms - WINDOW_S * 1000);
    process.stderr.write(
      `crash ${i + 1}: re-applied ${fmt(ms / 1000, 2)} s after the first CrashLoopBackOff; healthy at +${fmt((new Date(healthy.at).getTime() - firstCrash) / 1000, 2)} s\n`,
    );
  }
  const med = median(beyond);
  process.stdout.write(
    `fail-fast: re-applied the last good ${fmt(med, 0)} ms (median of ${CRASHES}) beyond the ${WINDOW_S} s window; target < ${TARGET_BEYOND_MS} ms; kubectl rollout status: ${KUBECTL_WAIT_S} s\n` +
      `API calls for one deploy (POST to live): ${calls.length} (apply ${kinds.apply}, watch ${kinds.watch}, get/list ${kinds.get}, other ${kinds.other})\n`,
  );
  emitResult("k8s-rollout", {
    windowSeconds: WINDOW_S,
    beyondWindowMs: Math.round(med),
    targetBeyondMs: TARGET_BEYOND_MS,
    ok: med < TARGET_BEYOND_MS,
    kubectlSeconds: KUBECTL_WAIT_S,
    apiCallsPerDeploy: calls.length,
    ...kinds,
  });
} finally {
  await server?.stop();
  await fake?.stop();
  removeDir(dir);
}
