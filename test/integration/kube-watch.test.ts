import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeConfigOf } from "../../src/adapters/kubernetes/client.ts";
import { watchForever } from "../../src/adapters/kubernetes/watcher.ts";
import { type FakeKube, startFakeKube } from "../fakes/kubernetes/index.ts";

/** Berth's watches through the real client against a fake that keeps cutting them. */
let fake: FakeKube;
beforeAll(async () => {
  fake = await startFakeKube({ disconnectMeanMs: 60, bookmarkMs: 50 });
});
afterAll(() => fake.stop());

describe("watchForever", () => {
  it("loses no event across random disconnects and a compaction (410, relist)", async () => {
    const kc = kubeConfigOf({ kubeconfig: fake.kubeconfig() });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "berth" } } });
    const seen = new Set<string>();
    const w = watchForever(
      kc,
      "/api/v1/namespaces/berth/secrets",
      {},
      () => core.listNamespacedSecret({ namespace: "berth" }) as never,
      (type, obj) => {
        if (type !== "DELETED") seen.add(obj.metadata?.name ?? "");
      },
    );
    const total = 300;
    for (let i = 0; i < total; i++) {
      await core.createNamespacedSecret({
        namespace: "berth",
        body: { metadata: { name: `s-${i}` } },
      });
      if (i === total / 2) {
        fake.cluster.store.compact();
        fake.closeWatches();
      }
    }
    const end = Date.now() + 15_000;
    while (seen.size < total && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    w.stop();
    expect(seen.size).toBe(total);
    // the fake did cut the streams: many watch requests, not one
    const watches = fake.cluster.requests.filter(
      (r) => r.path.endsWith("/secrets") && r.method === "GET",
    ).length;
    expect(watches).toBeGreaterThan(3);
  });
});
