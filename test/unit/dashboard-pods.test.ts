import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { quantityValue, tallyPods } from "../../src/services/dashboard/pods-panel.ts";

const pod = (name: string, env: string, ready: boolean, deleting = false): V1Pod => ({
  metadata: {
    name,
    labels: { "berth.dev/service": "shop", "berth.dev/environment": env },
    ...(deleting ? { deletionTimestamp: new Date() } : {}),
  },
  status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

describe("the pods panel's arithmetic", () => {
  it("reads Kubernetes quantities as cores and bytes", () => {
    expect(quantityValue("250m")).toBeCloseTo(0.25);
    expect(quantityValue("1500000n")).toBeCloseTo(0.0015);
    expect(quantityValue("2")).toBe(2);
    expect(quantityValue("64Mi")).toBe(64 * 1024 ** 2);
    expect(quantityValue("131072Ki")).toBe(128 * 1024 ** 2);
    expect(quantityValue("1e3")).toBe(1000);
    expect(quantityValue("lots")).toBe(0);
  });

  it("counts ready pods per environment, leaves out pods being deleted, sums usage", () => {
    const by = tallyPods(
      [
        pod("a", "production", true),
        pod("b", "production", false),
        pod("c", "staging", true, true),
      ],
      [
        { pod: "a", cpu: "100m", memory: "10Mi" },
        { pod: "b", cpu: "50m", memory: "6Mi" },
        { pod: "c", cpu: "1", memory: "1Gi" },
      ],
    );
    const prod = by.get("shop/production");
    expect(prod).toMatchObject({ ready: 1, total: 2, metrics: true });
    expect(prod?.cpu).toBeCloseTo(0.15);
    expect(prod?.memory).toBe(16 * 1024 ** 2);
    expect(by.has("shop/staging")).toBe(false);
    expect(tallyPods([pod("a", "production", true)], null).get("shop/production")?.metrics).toBe(
      false,
    );
  });
});
