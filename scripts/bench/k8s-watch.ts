/**
 * Watch events lost under random disconnects: the fake API server closes every watch
 * stream after a random time (mean BENCH_K8S_DISCONNECT_MS, half cleanly, half by dropping
 * the connection) and compacts its history once (410 Gone, relist) while 1,000 objects
 * are created and each changed once (2,000 events). Berth's watchForever is compared
 * with the reference, one plain client Watch that is not resumed.
 *
 * Usage: node scripts/bench/k8s-watch.ts   (BENCH_K8S_OBJECTS=1000, BENCH_K8S_DISCONNECT_MS=100)
 */
import * as k8s from "@kubernetes/client-node";
import { kubeConfigOf } from "../../src/adapters/kubernetes/client.ts";
import { watchForever } from "../../src/adapters/kubernetes/watcher.ts";
import { startFakeKube } from "../../test/fakes/kubernetes/index.ts";
import { emitResult } from "./lib.ts";

const N = Math.max(100, Number(process.env.BENCH_K8S_OBJECTS ?? 1000));
const MEAN_MS = Math.max(10, Number(process.env.BENCH_K8S_DISCONNECT_MS ?? 100));

const fake = await startFakeKube({ disconnectMeanMs: MEAN_MS, bookmarkMs: 50 });
try {
  const kc = kubeConfigOf({ kubeconfig: fake.kubeconfig() });
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: "berth" } } });
  // events are (name, version): a created object is version 1, its change version 2
  const seen = new Set<string>();
  const reference = new Set<string>();
  const key = (o: { metadata?: { name?: string; labels?: Record<string, string> } }) =>
    `${o.metadata?.name}@${o.metadata?.labels?.v ?? "1"}`;
  const w = watchForever(
    kc,
    "/api/v1/namespaces/berth/secrets",
    {},
    () => core.listNamespacedSecret({ namespace: "berth" }) as never,
    (type, o) => {
      if (type !== "DELETED") seen.add(key(o as never));
    },
  );
  await new k8s.Watch(kc).watch(
    "/api/v1/namespaces/berth/secrets",
    {},
    (type, o) => {
      if (type !== "DELETED") reference.add(key(o));
    },
    () => {},
  );
  for (let i = 0; i < N; i++) {
    const name = `s-${i}`;
    await core.createNamespacedSecret({
      namespace: "berth",
      body: { metadata: { name, labels: { v: "1" } } },
    });
    await core.patchNamespacedSecret(
      { name, namespace: "berth", body: { metadata: { labels: { v: "2" } } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    if (i === Math.floor(N / 2)) {
      fake.cluster.store.compact();
      fake.closeWatches();
    }
  }
  const total = 2 * N;
  const end = Date.now() + 20_000;
  // a relist after 410 replays objects as they are now: a version-1 event superseded by
  // its version 2 is not lost, the object's latest state was delivered
  const delivered = () => {
    let n = 0;
    for (let i = 0; i < N; i++) {
      const two = seen.has(`s-${i}@2`);
      n += (seen.has(`s-${i}@1`) || two ? 1 : 0) + (two ? 1 : 0);
    }
    return n;
  };
  while (delivered() < total && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  w.stop();
  const watches = fake.cluster.requests.filter((r) => r.watch).length;
  const lost = total - delivered();
  const refLost = total - reference.size;
  process.stdout.write(
    `watch events lost under random disconnects: ${lost} of ${total} (${watches} watch requests: reconnects + relists); one plain Watch, not resumed: ${refLost} of ${total} lost\n`,
  );
  emitResult("k8s-watch", {
    events: total,
    lost,
    referenceLost: refLost,
    watchRequests: watches,
    ok: lost === 0,
  });
} finally {
  await fake.stop();
}
