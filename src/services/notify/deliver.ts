import { sendDiscord, sendSlack } from "../../adapters/notify/chat.ts";
import { sendEmail } from "../../adapters/notify/email.ts";
import { sendWebhook } from "../../adapters/notify/webhook.ts";
import { writeTx } from "../../db/client.ts";
import type { Task, TaskEnd } from "../../db/core/tasks-repo.ts";
import {
  backoffMs,
  type Channel,
  MAX_ATTEMPTS,
  type Notification,
} from "../../domain/notify/notify.ts";
import type { Notify } from "./index.ts";

export type ChannelSecrets = { url?: string; signingSecret?: string; password?: string };

export const openSecrets = (notify: Notify, c: Channel): ChannelSecrets =>
  JSON.parse(notify.options.secrets.decrypt(c.secret)) as ChannelSecrets;

async function send(
  notify: Notify,
  c: Channel,
  deliveryId: number,
  n: Notification,
): Promise<void> {
  const s = openSecrets(notify, c);
  const opts = { allowPrivate: notify.options.allowPrivate ?? false, timeoutMs: 10_000 };
  if (c.kind === "webhook")
    return sendWebhook(
      { url: s.url ?? "", signingSecret: s.signingSecret ?? "" },
      `msg_${deliveryId}`,
      n,
      opts,
    );
  if (c.kind === "slack") return sendSlack(s.url ?? "", n, opts);
  if (c.kind === "discord") return sendDiscord(s.url ?? "", n, opts);
  const cfg = c.config;
  return sendEmail(
    {
      host: String(cfg.host),
      port: Number(cfg.port),
      username: cfg.username ? String(cfg.username) : null,
      password: s.password ?? null,
      from: String(cfg.from),
      to: String(cfg.to),
    },
    n,
    { ...opts, ca: notify.options.smtpCa },
  );
}

/**
 * The queue's handler for a `notify` task: one attempt. A failure is recorded and, while
 * attempts remain, a new task is queued after an exponential backoff.
 */
export async function deliverTask(
  notify: Notify,
  task: Task,
  now: () => number = Date.now,
): Promise<TaskEnd> {
  const { deliveries, channels } = notify.repos;
  const d = deliveries.byId(Number(task.subjectId));
  if (!d || d.status === "sent" || d.status === "failed") return "done";
  const channel = channels.byId(d.channelId);
  if (!channel) return "done";
  const attempts = d.attempts + 1;
  try {
    await send(notify, channel, d.id, d.payload as Notification);
    writeTx(notify.options.db, (tx) =>
      deliveries.record(tx, d.id, { status: "sent", attempts, lastError: null, sentAt: now() }),
    );
    notify.outcome("sent");
    return "done";
  } catch (err) {
    const lastError = (err as Error).message.slice(0, 500);
    const retry = attempts < MAX_ATTEMPTS;
    writeTx(notify.options.db, (tx) => {
      deliveries.record(tx, d.id, { status: retry ? "retrying" : "failed", attempts, lastError });
      if (retry)
        notify.options.tasks.enqueue(
          tx,
          "notify",
          String(d.id),
          now(),
          now() + backoffMs(attempts),
        );
    });
    notify.options.logger.warn(
      { delivery: d.id, channel: channel.id, attempts, err: lastError },
      "notification not delivered",
    );
    if (!retry) notify.outcome("failed");
    return "failed";
  }
}
