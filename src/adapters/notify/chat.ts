import type { Notification } from "../../domain/notify/notify.ts";
import { postJson, type SendOptions } from "./http-post.ts";

const bad = new Set(["deployment.failed", "build.failed", "monitor.down", "certificate.expiring"]);

const facts = (n: Notification) =>
  [
    n.service ? ["Service", n.service] : null,
    n.environment ? ["Environment", n.environment] : null,
  ].filter((x): x is [string, string] => x !== null);

/** Slack incoming webhook: `text` (the fallback) plus Block Kit sections. */
export function slackPayload(n: Notification) {
  return {
    text: `${n.title}: ${n.text}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: n.title.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: n.text.slice(0, 3000) } },
      ...(facts(n).length
        ? [
            {
              type: "section",
              fields: facts(n).map(([k, v]) => ({ type: "mrkdwn", text: `*${k}*\n${v}` })),
            },
          ]
        : []),
    ],
  };
}

/** Discord webhook: `content` (at most 2,000 characters) and one embed. */
export function discordPayload(n: Notification) {
  return {
    content: `${n.title}`.slice(0, 2000),
    embeds: [
      {
        title: n.title.slice(0, 256),
        description: n.text.slice(0, 4096),
        color: bad.has(n.event) ? 0xc62828 : 0x2e8540,
        timestamp: new Date(n.at).toISOString(),
        fields: facts(n).map(([name, value]) => ({ name, value, inline: true })),
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

export const sendSlack = (url: string, n: Notification, opts: SendOptions) =>
  postJson(url, JSON.stringify(slackPayload(n)), {}, opts).then(() => undefined);

export const sendDiscord = (url: string, n: Notification, opts: SendOptions) =>
  postJson(url, JSON.stringify(discordPayload(n)), {}, opts).then(() => undefined);
