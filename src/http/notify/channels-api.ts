import { createRoute, z } from "@hono/zod-openapi";
import { CHANNEL_KINDS, DELIVERY_STATUSES, NOTIFY_EVENTS } from "../../domain/notify/notify.ts";
import {
  addRule,
  createChannel,
  deleteChannel,
  deleteRule,
  getChannel,
  sendTest,
} from "../../services/notify/channels.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { NumId, unprocessableHook } from "../monitoring/schemas.ts";
import { errors, json } from "../schemas.ts";
import { presentChannel, presentDelivery, presentRule } from "./present.ts";

export const ChannelBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    kind: z.enum(CHANNEL_KINDS),
    url: z.string().max(2000).optional().openapi({ description: "webhook, slack, discord" }),
    host: z
      .string()
      .max(253)
      .regex(/^[A-Za-z0-9.-]+$/, "a host name")
      .optional()
      .openapi({ description: "email: SMTP host" }),
    port: z.number().int().min(1).max(65535).optional(),
    username: z.string().max(200).nullable().optional(),
    password: z.string().max(500).nullable().optional(),
    from: z.string().max(200).optional(),
    to: z.string().max(1000).optional(),
  })
  .strict()
  .openapi("ChannelInput");

const RuleSchema = z
  .object({
    id: z.number(),
    channelId: z.number(),
    event: z.enum(NOTIFY_EVENTS),
    service: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("NotificationRule");

const ChannelSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    kind: z.enum(CHANNEL_KINDS),
    config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    rules: z.array(RuleSchema),
    createdAt: z.string(),
    signingSecret: z
      .string()
      .optional()
      .openapi({ description: "Webhooks: in the creating answer only" }),
    deliveries: z
      .array(
        z.object({
          id: z.number(),
          event: z.string(),
          status: z.enum(DELIVERY_STATUSES),
          attempts: z.number(),
          lastError: z.string().nullable(),
          createdAt: z.string(),
          sentAt: z.string().nullable(),
        }),
      )
      .optional(),
  })
  .openapi("NotificationChannel");

export function channelsApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  const manage = guard("notifications.manage");
  const repo = deps.notify.repos.channels;

  app.openapi(
    createRoute({
      method: "get",
      path: "/notification-channels",
      middleware: [manage] as const,
      tags: ["notifications"],
      summary: "Channels with their rules",
      responses: {
        200: json(z.object({ items: z.array(ChannelSchema) }), "Channels"),
        ...errors(403),
      },
    }),
    (c) => c.json({ items: repo.list().map((ch) => presentChannel(ch, repo.rules(ch.id))) }),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/notification-channels",
      middleware: [manage] as const,
      tags: ["notifications"],
      summary: "Add a channel: signed webhook, Slack, Discord or email (SMTP with STARTTLS)",
      description: "URLs and passwords are encrypted at rest and never shown again.",
      request: {
        body: { content: { "application/json": { schema: ChannelBody } }, required: true },
      },
      responses: { 201: json(ChannelSchema, "Created"), ...errors(403, 413, 422) },
    }),
    (c) => {
      const { channel, signingSecret } = createChannel(deps, c.req.valid("json"));
      return c.json(
        { ...presentChannel(channel, []), ...(signingSecret ? { signingSecret } : {}) },
        201,
      );
    },
    unprocessableHook,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/notification-channels/{id}",
      middleware: [manage] as const,
      tags: ["notifications"],
      summary: "A channel, its rules and its last 50 deliveries (status, attempts, last error)",
      request: { params: NumId },
      responses: { 200: json(ChannelSchema, "The channel"), ...errors(403, 404) },
    }),
    (c) => {
      const ch = getChannel(deps, c.req.valid("param").id);
      return c.json({
        ...presentChannel(ch, repo.rules(ch.id)),
        deliveries: deps.notify.repos.deliveries.forChannel(ch.id, 50).map(presentDelivery),
      });
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/notification-channels/{id}",
      middleware: [manage] as const,
      tags: ["notifications"],
      summary: "Delete a channel, its rules and deliveries",
      request: { params: NumId },
      responses: { 204: { description: "Deleted" }, ...errors(403, 404) },
    }),
    (c) => {
      deleteChannel(deps, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/notification-channels/{id}/test",
      middleware: [manage] as const,
      tags: ["notifications"],
      summary: "Queue a test message; its delivery shows on the channel",
      request: { params: NumId },
      responses: { 202: json(z.object({ deliveryId: z.number() }), "Queued"), ...errors(403, 404) },
    }),
    (c) => {
      const id = c.req.valid("param").id;
      const deliveryId = sendTest(deps, id);
      c.header("Location", `/api/v1/notification-channels/${id}`);
      return c.json({ deliveryId }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/notification-rules",
      middleware: [manage] as const,
      tags: ["notifications"],
      summary: "Send an event to a channel, for one service or (without service) all",
      request: {
        body: {
          content: {
            "application/json": {
              schema: z
                .object({
                  channelId: z.number().int().positive(),
                  event: z.enum(NOTIFY_EVENTS),
                  service: z.string().max(30).nullable().optional(),
                })
                .strict(),
            },
          },
          required: true,
        },
      },
      responses: { 201: json(RuleSchema, "Created"), ...errors(403, 404, 422) },
    }),
    (c) => {
      const b = c.req.valid("json");
      return c.json(presentRule(addRule(deps, b.channelId, b.event, b.service ?? null)), 201);
    },
    unprocessableHook,
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/notification-rules/{id}",
      middleware: [manage] as const,
      tags: ["notifications"],
      summary: "Remove a rule",
      request: { params: NumId },
      responses: { 204: { description: "Deleted" }, ...errors(403, 404) },
    }),
    (c) => {
      deleteRule(deps, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
}
