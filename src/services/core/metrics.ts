import { timingSafeEqual } from "node:crypto";
import client from "prom-client";
import type { Events } from "./events.ts";

export type MetricsSources = {
  events: Events;
  /** Queued tasks by kind. */
  queueDepth: () => { kind: string; n: number }[];
  liveReleases: () => number;
  monitors: () => { id: number; status: string; latencyMs: number | null }[];
  onNotification: (fn: (outcome: "sent" | "failed") => void) => void;
  /** BERTH_METRICS_TOKEN: a bearer Prometheus may send instead of an API key. */
  token?: string | null;
};

export type Metrics = ReturnType<typeof createMetrics>;

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Berth's Prometheus metrics, in a registry of its own. Labels are bounded: statuses,
 * methods, status codes, task kinds and monitor ids (as many as an admin configured).
 */
export function createMetrics(s: MetricsSources) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const deployments = new client.Counter({
    name: "berth_deployments_total",
    help: "Deployments that finished, by outcome",
    labelNames: ["status"],
    registers: [registry],
  });
  const rollbacks = new client.Counter({
    name: "berth_rollbacks_total",
    help: "Rollbacks",
    registers: [registry],
  });
  const builds = new client.Counter({
    name: "berth_builds_total",
    help: "Builds that finished, by outcome",
    labelNames: ["status"],
    registers: [registry],
  });
  const notifications = new client.Counter({
    name: "berth_notifications_total",
    help: "Notification deliveries that ended, by outcome (sent, or failed after every retry)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const requests = new client.Counter({
    name: "berth_http_requests_total",
    help: "HTTP requests to Berth's API and UI (sites not included), by method and status code",
    labelNames: ["method", "code"],
    registers: [registry],
  });
  const deployDuration = new client.Histogram({
    name: "berth_deploy_duration_seconds",
    help: "From a deployment's start to live or failed",
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const buildDuration = new client.Histogram({
    name: "berth_build_duration_seconds",
    help: "From a build's start to its end",
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800],
    registers: [registry],
  });
  new client.Gauge({
    name: "berth_monitor_up",
    help: "1 when the monitor is up, 0 when down (pending and paused monitors are left out)",
    labelNames: ["monitor"],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of s.monitors())
        if (m.status === "up" || m.status === "down")
          this.set({ monitor: String(m.id) }, m.status === "up" ? 1 : 0);
    },
  });
  new client.Gauge({
    name: "berth_monitor_response_time_seconds",
    help: "The last check's response time",
    labelNames: ["monitor"],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of s.monitors())
        if (m.latencyMs !== null) this.set({ monitor: String(m.id) }, m.latencyMs / 1000);
    },
  });
  new client.Gauge({
    name: "berth_queue_depth",
    help: "Tasks waiting in the durable queue, by kind",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ kind: "build" }, 0);
      this.set({ kind: "notify" }, 0);
      for (const q of s.queueDepth()) this.set({ kind: q.kind }, q.n);
    },
  });
  new client.Gauge({
    name: "berth_live_releases",
    help: "Environments with a live release",
    registers: [registry],
    collect() {
      this.set(s.liveReleases());
    },
  });

  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
  s.events.on("deployment.live", (e) => {
    deployments.inc({ status: "live" });
    const d = seconds(e.durationMs);
    if (d !== null) deployDuration.observe(d);
  });
  s.events.on("deployment.failed", (e) => {
    deployments.inc({ status: "failed" });
    const d = seconds(e.durationMs);
    if (d !== null) deployDuration.observe(d);
  });
  s.events.on("rollback", () => rollbacks.inc());
  s.events.on("build.finished", (e) => {
    builds.inc({ status: e.status });
    const d = seconds(e.durationMs);
    if (d !== null) buildDuration.observe(d);
  });
  s.onNotification((outcome) => notifications.inc({ outcome }));
  const token = s.token ? Buffer.from(s.token) : null;

  return {
    registry,
    request(method: string, code: number): void {
      requests.inc({ method: METHODS.has(method) ? method : "OTHER", code: String(code) });
    },
    tokenMatches(bearer: string | undefined): boolean {
      if (!token || !bearer) return false;
      const b = Buffer.from(bearer);
      return b.length === token.length && timingSafeEqual(b, token);
    },
    text: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
