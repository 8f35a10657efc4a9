import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { Notification } from "../../domain/notify/notify.ts";
import { postJson, type SendOptions } from "./http-post.ts";

/** A fresh signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 bytes. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/**
 * A signed webhook per the Standard Webhooks spec: `webhook-id`, `webhook-timestamp`
 * (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`.
 */
export async function sendWebhook(
  target: { url: string; signingSecret: string },
  msgId: string,
  n: Notification,
  opts: SendOptions,
): Promise<void> {
  const body = JSON.stringify({
    type: n.event,
    timestamp: new Date(n.at).toISOString(),
    data: {
      title: n.title,
      text: n.text,
      service: n.service,
      environment: n.environment,
      ...n.data,
    },
  });
  const now = new Date();
  const signature = new Webhook(target.signingSecret).sign(msgId, now, body);
  await postJson(
    target.url,
    body,
    {
      "webhook-id": msgId,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signature,
    },
    opts,
  );
}
