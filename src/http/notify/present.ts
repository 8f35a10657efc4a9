import type { Channel, Delivery, Rule } from "../../domain/notify/notify.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A channel as the API shows it: never its URL, signing secret or password. */
export const presentChannel = (c: Channel, rules: Rule[]) => ({
  id: c.id,
  name: c.name,
  kind: c.kind,
  config: c.config,
  rules: rules.map(presentRule),
  createdAt: new Date(c.createdAt).toISOString(),
});

export const presentRule = (r: Rule) => ({
  id: r.id,
  channelId: r.channelId,
  event: r.event,
  service: r.service,
  createdAt: new Date(r.createdAt).toISOString(),
});

export const presentDelivery = (d: Delivery) => ({
  id: d.id,
  event: d.event,
  status: d.status,
  attempts: d.attempts,
  lastError: d.lastError,
  createdAt: new Date(d.createdAt).toISOString(),
  sentAt: iso(d.sentAt),
});
