import type { V1Pod } from "@kubernetes/client-node";
import type { PodUsage } from "../../adapters/kubernetes/client.ts";
import { clusterFor, readClusterSettings } from "../containers/cluster.ts";
import type { ContainersDeps } from "../containers/deps.ts";
import type { DashboardPanel, PanelCell } from "./panels.ts";

/** How long a reading is shown before the next is asked for; after a failure, longer. */
const FRESH_MS = 10_000;
const RETRY_MS = 30_000;
/** A cluster that does not answer within this is marked unreachable. */
const TIME_BOX_MS = 3_000;
const MANAGED = "app.kubernetes.io/managed-by=berth";

type Tally = { ready: number; total: number; cpu: number; memory: number; metrics: boolean };
type Reading =
  | { ok: true; at: number; settings: string; by: Map<string, Tally> }
  | { ok: false; at: number; settings: string };

/** A Kubernetes quantity as a number: CPU in cores, memory in bytes. */
export function quantityValue(q: string): number {
  const m = /^([0-9.]+(?:e[0-9]+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const scale: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return Number.isFinite(n) ? n * (scale[m[2] ?? ""] ?? 0) : 0;
}

const key = (service: string, environment: string) => `${service}/${environment}`;

export function tallyPods(pods: V1Pod[], usage: PodUsage[] | null): Map<string, Tally> {
  const by = new Map<string, Tally>();
  const podEnv = new Map<string, Tally>();
  for (const p of pods) {
    const l = p.metadata?.labels ?? {};
    const s = l["berth.dev/service"];
    const e = l["berth.dev/environment"];
    if (!s || !e || p.metadata?.deletionTimestamp) continue;
    const k = key(s, e);
    let t = by.get(k);
    if (!t) {
      t = { ready: 0, total: 0, cpu: 0, memory: 0, metrics: usage !== null };
      by.set(k, t);
    }
    t.total++;
    const ready = p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    if (ready) t.ready++;
    podEnv.set(p.metadata?.name ?? "", t);
  }
  for (const u of usage ?? []) {
    const t = podEnv.get(u.pod);
    if (!t) continue;
    t.cpu += quantityValue(u.cpu);
    t.memory += quantityValue(u.memory);
  }
  return by;
}

const cpuText = (cores: number) =>
  cores < 1 ? `${Math.round(cores * 1000)}m CPU` : `${cores.toFixed(2)} CPU`;
const memText = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

function cellOf(t: Tally | undefined, service: string, environment: string): PanelCell {
  const href = `/services/${service}/environments/${environment}/container`;
  if (!t) return { text: "0/0", tone: "muted", href, title: "No pods on the cluster" };
  const usage = t.metrics && t.total > 0 ? ` · ${cpuText(t.cpu)} · ${memText(t.memory)}` : "";
  return {
    text: `${t.ready}/${t.total}${usage}`,
    tone: t.ready === t.total ? "ok" : t.ready === 0 ? "bad" : "warn",
    href,
    title: `${t.ready} of ${t.total} pod(s) ready${t.metrics ? "" : " (no metrics-server)"}`,
  };
}

/**
 * Pods ready/total (and CPU/memory from metrics-server when the cluster has it) per
 * container environment. The page never waits for the cluster: cells come from the last
 * reading, and a stale one starts a new read in the background (one for the whole
 * namespace, time-boxed), whose result the pulse notices through `version()`.
 */
export function podsPanel(deps: ContainersDeps, now: () => number = Date.now): DashboardPanel {
  let reading: Reading | null = null;
  let busy = false;
  let generation = 0;
  let shown = "";
  // only a board that showed a container environment keeps the reads going
  let wanted = false;

  const read = async (settings: string) => {
    const { kube } = clusterFor(deps);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the cluster did not answer")), TIME_BOX_MS);
    });
    try {
      const [pods, usage] = await Promise.race([
        Promise.all([kube.pods(MANAGED), kube.usage(MANAGED).catch(() => null)]),
        late,
      ]);
      return { ok: true as const, at: now(), settings, by: tallyPods(pods, usage) };
    } finally {
      clearTimeout(timer);
    }
  };

  /** Starts a read when the last one is stale (or the settings changed); never waits. */
  const kick = (settings: string) => {
    if (busy) return;
    if (reading && reading.settings === settings) {
      const age = now() - reading.at;
      if (age < (reading.ok ? FRESH_MS : RETRY_MS)) return;
    }
    busy = true;
    read(settings)
      .catch((err: Error) => {
        deps.logger.warn({ err: err.message }, "the dashboard could not read the cluster's pods");
        return { ok: false as const, at: now(), settings };
      })
      .then((r) => {
        reading = r;
        busy = false;
        const text = r.ok ? JSON.stringify([...r.by]) : "unreachable";
        if (text !== shown) {
          shown = text;
          generation++;
        }
      });
  };

  const settingsVersion = () => readClusterSettings(deps)?.version ?? null;

  return {
    id: "pods",
    title: "Pods",
    cells(rows) {
      const out = new Map<number, PanelCell>();
      const containers = rows.filter((r) => r.kind === "container");
      wanted = containers.length > 0;
      if (!wanted) return out;
      const settings = settingsVersion();
      for (const r of containers) {
        const href = `/services/${r.service}/environments/${r.environment}/container`;
        let cell: PanelCell;
        if (settings === null)
          cell = { text: "no cluster", tone: "muted", href: "/settings/kubernetes" };
        else if (!reading || reading.settings !== settings)
          cell = { text: "…", tone: "muted", href, title: "Reading the cluster" };
        else if (!reading.ok)
          cell = { text: "unreachable", tone: "warn", href, title: "The cluster did not answer" };
        else cell = cellOf(reading.by.get(key(r.service, r.environment)), r.service, r.environment);
        out.set(r.environmentId, cell);
      }
      if (settings !== null) kick(settings);
      return out;
    },
    version() {
      if (!wanted) return "";
      const settings = settingsVersion();
      if (settings !== null) kick(settings);
      return `${settings}:${generation}`;
    },
  };
}
