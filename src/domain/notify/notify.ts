/** Notification channels, events and the rules between them. */
export const CHANNEL_KINDS = ["webhook", "slack", "discord", "email"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const NOTIFY_EVENTS = [
  "deployment.live",
  "deployment.failed",
  "rollback",
  "build.failed",
  "monitor.down",
  "monitor.up",
  "certificate.expiring",
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const DELIVERY_STATUSES = ["queued", "retrying", "sent", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What every channel gets: the event, a one-line summary and its facts. */
export type Notification = {
  event: NotifyEvent | "test";
  title: string;
  text: string;
  service: string | null;
  environment: string | null;
  at: number;
  data: Record<string, unknown>;
};

export const MAX_ATTEMPTS = 5;

/** Exponential backoff with a cap: 5 s, 20 s, 80 s, 320 s ... at most an hour. */
export const backoffMs = (attempt: number) => Math.min(3_600_000, 5_000 * 4 ** (attempt - 1));

/**
 * Whether an IP address is on loopback, private, link-local, CGNAT, unique-local or
 * unspecified ranges: where a notification must not go unless an admin allows it.
 */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(v4);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  const low = ip.toLowerCase();
  return (
    low === "::" ||
    low === "::1" ||
    low.startsWith("fc") ||
    low.startsWith("fd") ||
    low.startsWith("fe8") ||
    low.startsWith("fe9") ||
    low.startsWith("fea") ||
    low.startsWith("feb") ||
    low.startsWith("ff")
  );
}

export type Channel = {
  id: number;
  name: string;
  kind: ChannelKind;
  config: Record<string, string | number | boolean>;
  /** Ciphertext of the channel's secrets (URL, signing secret, password). */
  secret: string;
  createdAt: number;
};

export type Rule = {
  id: number;
  channelId: number;
  event: NotifyEvent;
  service: string | null;
  createdAt: number;
};

export type Delivery = {
  id: number;
  channelId: number;
  event: string;
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
};
