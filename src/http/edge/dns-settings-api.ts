import { createRoute, z } from "@hono/zod-openapi";
import { checkDnsSettings, dnsTarget } from "../../services/edge/dns.ts";
import {
  DNS_PROVIDERS,
  type DnsSettings,
  dnsSettingsView,
  getDnsSettings,
  saveDnsSettings,
  TSIG_ALGORITHMS,
} from "../../services/edge/dns-settings.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { errors, json } from "../schemas.ts";

const DnsSettingsSchema = z
  .object({
    provider: z.enum(DNS_PROVIDERS),
    cloudflare: z
      .object({
        proxied: z.boolean(),
        baseUrl: z.string().nullable(),
        apiTokenSet: z.boolean().openapi({ description: "A token is saved (it is never shown)." }),
      })
      .nullable(),
    rfc2136: z
      .object({
        server: z.string().openapi({ example: "ns1.example.com:53" }),
        zone: z.string().nullable().openapi({ description: "null: found by SOA queries." }),
        keyName: z.string(),
        keyAlgorithm: z.enum(TSIG_ALGORITHMS),
        ttl: z.number(),
        keySecretSet: z
          .boolean()
          .openapi({ description: "A secret is saved (it is never shown)." }),
      })
      .nullable(),
    target: z
      .object({
        ipv4: z.string().nullable(),
        ipv6: z.string().nullable(),
        cname: z.string().nullable(),
      })
      .openapi({
        description:
          "Where records point: BERTH_PUBLIC_IPV4 / BERTH_PUBLIC_IPV6 or BERTH_DNS_CNAME_TARGET.",
      }),
    updatedAt: z.string().nullable(),
  })
  .openapi("DnsSettings");

// Types only: values are checked by the service, so a bad one is a 422 that names its field.
const DnsSettingsBody = z
  .object({
    provider: z.string().openapi({ enum: [...DNS_PROVIDERS], example: "rfc2136" }),
    cloudflare: z
      .object({
        apiToken: z
          .string()
          .optional()
          .openapi({ description: "Empty or absent: keep the saved one." }),
        proxied: z.boolean().optional(),
        baseUrl: z
          .string()
          .nullable()
          .optional()
          .openapi({ description: "Another API root (tests)." }),
      })
      .nullable()
      .optional()
      .openapi({ description: "Absent: keep what is saved. null: forget it." }),
    rfc2136: z
      .object({
        server: z.string().openapi({ example: "ns1.example.com:53" }),
        zone: z.string().nullable().optional(),
        keyName: z.string().openapi({ example: "berth-key" }),
        keyAlgorithm: z
          .string()
          .optional()
          .openapi({ enum: [...TSIG_ALGORITHMS] }),
        keySecret: z
          .string()
          .optional()
          .openapi({ description: "base64. Empty or absent: keep the saved one." }),
        ttl: z.number().optional().openapi({ example: 300 }),
      })
      .nullable()
      .optional()
      .openapi({ description: "Absent: keep what is saved. null: forget it." }),
  })
  .openapi("DnsSettingsInput");

const CheckSchema = z
  .object({ ok: z.boolean(), provider: z.enum(DNS_PROVIDERS), message: z.string() })
  .openapi("DnsCheck");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function settingsApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  const present = (s: DnsSettings) => ({
    ...dnsSettingsView(s),
    target: dnsTarget(deps),
    updatedAt: iso(s.updatedAt),
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/settings/dns",
      tags: ["settings"],
      summary: "The DNS provider settings; secrets only say whether they are set",
      middleware: [guard("settings.manage")],
      responses: { 200: json(DnsSettingsSchema, "DNS settings"), ...errors(401, 403) },
    }),
    (c) => c.json(present(getDnsSettings(deps)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/settings/dns",
      tags: ["settings"],
      summary: "Save the DNS provider settings (secrets are encrypted at rest)",
      middleware: [guard("settings.manage")],
      request: {
        body: { content: { "application/json": { schema: DnsSettingsBody } }, required: true },
      },
      responses: { 200: json(DnsSettingsSchema, "Saved"), ...errors(400, 401, 403, 422) },
    }),
    (c) => c.json(present(saveDnsSettings(deps, c.req.valid("json"))), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/settings/dns/check",
      tags: ["settings"],
      summary:
        "Check the DNS credentials without changing records: the saved settings, or the ones in the body",
      description:
        "Cloudflare: the token lists its zones. RFC 2136: a TSIG-signed SOA query for the zone. A failed check is `ok: false` with the reason.",
      middleware: [guard("settings.manage")],
      request: {
        body: {
          content: {
            "application/json": { schema: DnsSettingsBody.partial({ provider: true }) },
          },
          required: false,
        },
      },
      responses: { 200: json(CheckSchema, "The result"), ...errors(400, 401, 403, 422) },
    }),
    async (c) => {
      // no body, or one without a provider: check what is saved
      const body = c.req.valid("json") as { provider?: string } | undefined;
      const input = body?.provider === undefined ? undefined : body;
      return c.json(await checkDnsSettings(deps, input), 200);
    },
  );
}
