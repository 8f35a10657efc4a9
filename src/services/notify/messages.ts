import type { Notification } from "../../domain/notify/notify.ts";
import type { BerthEvents } from "../core/events.ts";

const minutes = (ms: number) => {
  const m = Math.round(ms / 60_000);
  return m < 1 ? `${Math.round(ms / 1000)} s` : `${m} min`;
};

const where = (service: string | null, env: string | null) =>
  [service, env].filter(Boolean).join("/") || "a custom target";

/** What each event says, as one Notification every channel can render. */
export const messages = {
  "deployment.live": (e: BerthEvents["deployment.live"], at: number): Notification => ({
    event: "deployment.live",
    title: `${e.service}/${e.environment} is live`,
    text: `Deployment ${e.deploymentId} is live on ${e.service}/${e.environment}.`,
    service: e.service,
    environment: e.environment,
    at,
    data: { deploymentId: e.deploymentId },
  }),
  "deployment.failed": (e: BerthEvents["deployment.failed"], at: number): Notification => ({
    event: "deployment.failed",
    title: `Deployment to ${e.service}/${e.environment} failed`,
    text: `Deployment ${e.deploymentId} failed: ${e.message}`,
    service: e.service,
    environment: e.environment,
    at,
    data: { deploymentId: e.deploymentId, message: e.message },
  }),
  rollback: (e: BerthEvents["rollback"], at: number): Notification => ({
    event: "rollback",
    title: `${e.service}/${e.environment} rolled back`,
    text: `Deployment ${e.deploymentId} is live again after a rollback.`,
    service: e.service,
    environment: e.environment,
    at,
    data: { deploymentId: e.deploymentId },
  }),
  "build.failed": (e: BerthEvents["build.finished"], at: number): Notification => ({
    event: "build.failed",
    title: `Build of ${e.service} failed`,
    text: `Build ${e.buildId} failed${e.message ? `: ${e.message}` : "."}`,
    service: e.service,
    environment: null,
    at,
    data: { buildId: e.buildId },
  }),
  "monitor.down": (e: BerthEvents["monitor.down"], at: number): Notification => ({
    event: "monitor.down",
    title: `${e.name} is DOWN`,
    text: `${e.name} (${where(e.service, e.environment)}) is down: ${e.message}${e.context ? ` (${e.context})` : ""}.`,
    service: e.service,
    environment: e.environment,
    at,
    data: {
      monitorId: e.monitorId,
      incidentId: e.incidentId,
      message: e.message,
      context: e.context,
    },
  }),
  "monitor.up": (e: BerthEvents["monitor.up"], at: number): Notification => ({
    event: "monitor.up",
    title: `${e.name} is UP`,
    text: `${e.name} (${where(e.service, e.environment)}) is up again after ${minutes(e.downForMs)}.`,
    service: e.service,
    environment: e.environment,
    at,
    data: { monitorId: e.monitorId, incidentId: e.incidentId, downForMs: e.downForMs },
  }),
  "certificate.expiring": (e: BerthEvents["certificate.expiring"], at: number): Notification => ({
    event: "certificate.expiring",
    title: `Certificate of ${e.host} expires in ${e.daysLeft} days`,
    text: `The TLS certificate of ${e.host} expires in ${e.daysLeft} days.`,
    service: e.service,
    environment: e.environment,
    at,
    data: { host: e.host, daysLeft: e.daysLeft },
  }),
};

export const testMessage = (channel: string, at: number): Notification => ({
  event: "test",
  title: "Test notification from Berth",
  text: `This is a test of the channel "${channel}". If you can read it, it works.`,
  service: null,
  environment: null,
  at,
  data: {},
});
