import { newSigningSecret } from "../../adapters/notify/webhook.ts";
import { writeTx } from "../../db/client.ts";
import { notFound, unprocessable } from "../../domain/errors.ts";
import type { Channel, ChannelKind, NotifyEvent } from "../../domain/notify/notify.ts";
import type { Deps } from "../core/deps.ts";
import { getService } from "../releases/catalog.ts";
import { testMessage } from "./messages.ts";

export type ChannelInput = {
  name: string;
  kind: ChannelKind;
  url?: string;
  host?: string;
  port?: number;
  username?: string | null;
  password?: string | null;
  from?: string;
  to?: string;
};

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

function httpUrl(url: string | undefined): URL {
  try {
    const u = new URL(url ?? "");
    if (u.protocol === "http:" || u.protocol === "https:") return u;
  } catch {
    // falls through to the error
  }
  throw unprocessable("invalid_url", "url must be an absolute http(s) URL.", "url");
}

/** Splits what a channel needs into plain settings and secrets (sealed with deps.secrets). */
function shape(
  i: ChannelInput,
  signingSecret?: string,
): {
  config: Record<string, string | number>;
  secrets: { url?: string; signingSecret?: string; password?: string };
} {
  if (i.kind === "email") {
    if (!i.host)
      throw unprocessable("invalid_field", "An email channel needs the SMTP host.", "host");
    if (!i.from || !EMAIL.test(i.from))
      throw unprocessable("invalid_field", "from must be an email address.", "from");
    if (!i.to?.split(",").every((a) => EMAIL.test(a.trim())))
      throw unprocessable(
        "invalid_field",
        "to must be one or more email addresses, comma-separated.",
        "to",
      );
    return {
      config: {
        host: i.host,
        port: i.port ?? 587,
        username: i.username ?? "",
        from: i.from,
        to: i.to,
      },
      secrets: { password: i.password ?? undefined },
    };
  }
  const u = httpUrl(i.url);
  return {
    config: { target: u.host },
    secrets: {
      url: u.toString(),
      ...(i.kind === "webhook" ? { signingSecret: signingSecret ?? newSigningSecret() } : {}),
    },
  };
}

export function getChannel(deps: Deps, id: number): Channel {
  const c = deps.notify.repos.channels.byId(id);
  if (!c) throw notFound("channel_not_found", `There is no channel ${id}.`);
  return c;
}

/** Creates a channel; a webhook's signing secret is returned this once for the receiver. */
export function createChannel(
  deps: Deps,
  i: ChannelInput,
): { channel: Channel; signingSecret: string | null } {
  const { config, secrets } = shape(i);
  const channel = writeTx(deps.db, (tx) =>
    deps.notify.repos.channels.insert(tx, {
      name: i.name,
      kind: i.kind,
      config,
      secret: deps.secrets.encrypt(JSON.stringify(secrets)),
      createdAt: Date.now(),
    }),
  );
  return { channel, signingSecret: secrets.signingSecret ?? null };
}

export function deleteChannel(deps: Deps, id: number): void {
  getChannel(deps, id);
  writeTx(deps.db, (tx) => deps.notify.repos.channels.delete(tx, id));
}

/** Queues a test message through the same path as every other notification. */
export function sendTest(deps: Deps, id: number): number {
  const c = getChannel(deps, id);
  const [delivery] = deps.notify.queue([c.id], testMessage(c.name, Date.now()));
  return delivery as number;
}

export function addRule(deps: Deps, channelId: number, event: NotifyEvent, service: string | null) {
  getChannel(deps, channelId);
  if (service) getService(deps, service);
  return writeTx(deps.db, (tx) =>
    deps.notify.repos.channels.insertRule(tx, { channelId, event, service, createdAt: Date.now() }),
  );
}

export function deleteRule(deps: Deps, id: number): void {
  if (!writeTx(deps.db, (tx) => deps.notify.repos.channels.deleteRule(tx, id)))
    throw notFound("rule_not_found", `There is no rule ${id}.`);
}
