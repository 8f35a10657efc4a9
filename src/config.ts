import path from "node:path";
import { z } from "zod";
import type { EdgeConfig, Limits, SandboxConfig } from "./domain/config-types.ts";

export type { EdgeConfig, Limits, SandboxConfig };

const bytes = (name: string, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a number of bytes` })
    .int(`${name} must be a whole number of bytes`)
    .positive(`${name} must be positive`)
    .default(fallback);

const MiB = 1024 * 1024;

const LISTEN = String.raw`(?:[0-9.]+:|\[[0-9a-fA-F:]+\]:)?\d{1,5}`;

/** nginx listen values, comma-separated: "80", "80,[::]:80", "127.0.0.1:8080". */
const listenList = (name: string, fallback: string) =>
  z
    .string()
    .regex(
      new RegExp(`^\\s*${LISTEN}(?:\\s*,\\s*${LISTEN})*\\s*$`),
      `${name} must be a port or address:port, or several separated by commas (such as 80,[::]:80)`,
    )
    .default(fallback);

const splitList = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const count = (name: string, min: number, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .default(fallback);

const schema = z.object({
  BERTH_DATA_DIR: z.string().min(1).default("./data"),
  BERTH_HOST: z
    .string()
    .regex(/^[0-9a-zA-Z.:[\]-]+$/, "BERTH_HOST must be a host name or IP address")
    .default("127.0.0.1"),
  BERTH_PORT: z.coerce
    .number({ error: "BERTH_PORT must be a port number" })
    .int("BERTH_PORT must be a whole number")
    .min(0, "BERTH_PORT must be between 0 and 65535")
    .max(65535, "BERTH_PORT must be between 0 and 65535")
    .default(8080),
  BERTH_BASE_DOMAIN: z
    .string()
    .regex(
      /^(?=.{1,200}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
      "BERTH_BASE_DOMAIN must be a lowercase domain name such as localhost or apps.example.com",
    )
    .default("localhost"),
  BERTH_PUBLIC_URL: z.url({ error: "BERTH_PUBLIC_URL must be an absolute http(s) URL" }).optional(),
  BERTH_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "BERTH_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  BERTH_MAX_BUNDLE_BYTES: bytes("BERTH_MAX_BUNDLE_BYTES", 512 * MiB),
  BERTH_MAX_ENTRIES: bytes("BERTH_MAX_ENTRIES", 50_000),
  BERTH_MAX_UNCOMPRESSED_BYTES: bytes("BERTH_MAX_UNCOMPRESSED_BYTES", 2048 * MiB),
  BERTH_MAX_COMPRESSION_RATIO: z.coerce
    .number({ error: "BERTH_MAX_COMPRESSION_RATIO must be a number" })
    .positive("BERTH_MAX_COMPRESSION_RATIO must be positive")
    .default(200),
  BERTH_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "BERTH_SECRET_KEY must be 64 hex characters (32 bytes)")
    .optional(),
  BERTH_EDGE: z
    .enum(["embedded", "nginx"], { error: "BERTH_EDGE must be embedded or nginx" })
    .default("embedded"),
  BERTH_NGINX_BIN: z.string().min(1).default("/usr/sbin/nginx"),
  BERTH_NGINX_ARGS: z.string().default(""),
  BERTH_NGINX_SITES_AVAILABLE: z.string().min(1).default("/etc/nginx/sites-available"),
  BERTH_NGINX_SITES_ENABLED: z.string().min(1).default("/etc/nginx/sites-enabled"),
  BERTH_NGINX_RELOAD: z.string().default(""),
  BERTH_NGINX_LISTEN: listenList("BERTH_NGINX_LISTEN", "80"),
  BERTH_NGINX_LISTEN_TLS: listenList("BERTH_NGINX_LISTEN_TLS", "443"),
  BERTH_PUBLIC_IPV4: z.ipv4({ error: "BERTH_PUBLIC_IPV4 must be an IPv4 address" }).optional(),
  BERTH_PUBLIC_IPV6: z.ipv6({ error: "BERTH_PUBLIC_IPV6 must be an IPv6 address" }).optional(),
  BERTH_DNS_CNAME_TARGET: z
    .string()
    .regex(
      /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}\.?$/,
      "BERTH_DNS_CNAME_TARGET must be a host name",
    )
    .optional(),
  BERTH_CLOUDFLARE_API_URL: z
    .url({ protocol: /^https?$/, error: "BERTH_CLOUDFLARE_API_URL must be an http(s) URL" })
    .optional(),
  BERTH_ACME_DIRECTORY: z
    .url({ error: "BERTH_ACME_DIRECTORY must be a URL" })
    .default("https://acme-v02.api.letsencrypt.org/directory"),
  BERTH_ACME_EMAIL: z.email({ error: "BERTH_ACME_EMAIL must be an email address" }).optional(),
  BERTH_ACME_CA_FILE: z.string().optional(),
  BERTH_TRUSTED_PROXIES: z
    .string()
    .regex(
      /^[0-9a-fA-F.:, ]*$/,
      "BERTH_TRUSTED_PROXIES must be a comma-separated list of IP addresses",
    )
    .default(""),
  BERTH_BUILDERS: z.coerce
    .number({ error: "BERTH_BUILDERS must be a number" })
    .int("BERTH_BUILDERS must be a whole number")
    .min(1, "BERTH_BUILDERS must be at least 1")
    .max(16, "BERTH_BUILDERS must be at most 16")
    .default(1),
  BERTH_WORK_DIR: z.string().min(1).optional(),
  BERTH_SANDBOX: z.enum(["on", "off"], { error: "BERTH_SANDBOX must be on or off" }).default("on"),
  BERTH_SANDBOX_BWRAP: z.string().min(1).default("/usr/bin/bwrap"),
  BERTH_SANDBOX_MEMORY_MB: count("BERTH_SANDBOX_MEMORY_MB", 16, 4096),
  BERTH_SANDBOX_PROCESSES: count("BERTH_SANDBOX_PROCESSES", 8, 512),
  BERTH_SANDBOX_FILE_SIZE_MB: count("BERTH_SANDBOX_FILE_SIZE_MB", 1, 1024),
  BERTH_SANDBOX_CPU_SECONDS: count("BERTH_SANDBOX_CPU_SECONDS", 1, 3600),
  BERTH_JOB_RUNNERS: z.coerce
    .number({ error: "BERTH_JOB_RUNNERS must be a number" })
    .int("BERTH_JOB_RUNNERS must be a whole number")
    .min(1, "BERTH_JOB_RUNNERS must be at least 1")
    .max(64, "BERTH_JOB_RUNNERS must be at most 64")
    .default(4),
  BERTH_DEFAULT_RETENTION: z.coerce
    .number({ error: "BERTH_DEFAULT_RETENTION must be a number" })
    .int("BERTH_DEFAULT_RETENTION must be a whole number")
    .min(1, "BERTH_DEFAULT_RETENTION must be at least 1")
    .max(1000, "BERTH_DEFAULT_RETENTION must be at most 1000")
    .default(10),
  BERTH_AUDIT_RETENTION_DAYS: z.coerce
    .number({ error: "BERTH_AUDIT_RETENTION_DAYS must be a number" })
    .int("BERTH_AUDIT_RETENTION_DAYS must be a whole number")
    .min(1, "BERTH_AUDIT_RETENTION_DAYS must be at least 1")
    .default(365),
  // error reports
  BERTH_REPORT_MAX_EVENT_BYTES: bytes("BERTH_REPORT_MAX_EVENT_BYTES", 1 * MiB),
  BERTH_REPORT_MAX_ENVELOPE_BYTES: bytes("BERTH_REPORT_MAX_ENVELOPE_BYTES", 20 * MiB),
  BERTH_REPORT_RATE_PER_MINUTE: count("BERTH_REPORT_RATE_PER_MINUTE", 1, 6000),
  BERTH_REPORT_RETENTION_DAYS: count("BERTH_REPORT_RETENTION_DAYS", 1, 30),
  BERTH_REPORT_EVENTS_PER_GROUP: count("BERTH_REPORT_EVENTS_PER_GROUP", 1, 100),
  // monitoring, notifications and metrics
  BERTH_AUTO_MONITORS: z
    .enum(["on", "off"], { error: "BERTH_AUTO_MONITORS must be on or off" })
    .default("on"),
  BERTH_METRICS_TOKEN: z
    .string()
    .min(16, "BERTH_METRICS_TOKEN must be at least 16 characters")
    .optional(),
  BERTH_NOTIFY_ALLOW_PRIVATE: z
    .enum(["on", "off"], { error: "BERTH_NOTIFY_ALLOW_PRIVATE must be on or off" })
    .default("off"),
});

/** Splits a configured command into argv: whitespace-separated words, never a shell. */
export function argv(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

export type Config = Readonly<{
  dataDir: string;
  host: string;
  port: number;
  baseDomain: string;
  publicUrl: string;
  logLevel: string;
  defaultRetention: number;
  /** Days the audit trail keeps an event. */
  auditRetentionDays: number;
  /** Proxies (such as the local nginx) whose X-Forwarded-For names the real client. */
  trustedProxies: string[];
  /** How many builds run at once. */
  builders: number;
  /** Job runs at once (their own workers on the shared queue). */
  jobRunners: number;
  /** Berth's own environment, the base that build commands get (cleaned of Berth's secrets). */
  childEnv: Readonly<Record<string, string | undefined>>;
  secretKey: string | null;
  /** Where build work directories go: outside the data directory, which commands must not see. */
  workDir: string | null;
  sandbox: SandboxConfig;
  edge: EdgeConfig;
  limits: Limits;
  /** Error reports: limits, rate and retention (see services/reports/settings.ts). */
  reports: Readonly<{
    maxEventBytes: number;
    maxEnvelopeBytes: number;
    ratePerMinute: number;
    retentionDays: number;
    eventsPerGroup: number;
  }>;
  /** An HTTP monitor for every live environment (each can switch its own off). */
  autoMonitors: boolean;
  /** A bearer token Prometheus may send to /metrics instead of an API key. */
  metricsToken: string | null;
  /** Notifications may go to loopback and private addresses (an admin's choice). */
  notifyAllowPrivate: boolean;
}>;

export class ConfigError extends Error {}

/** Parses the environment once into a frozen Config; an error names the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(schema.shape).map((key) => [key, env[key] === "" ? undefined : env[key]]),
  );
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "environment");
      return issue.message.includes(key) ? issue.message : `${key}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const v = parsed.data;
  const port = v.BERTH_PORT;
  const publicUrl =
    v.BERTH_PUBLIC_URL?.replace(/\/+$/, "") ??
    `http://${v.BERTH_BASE_DOMAIN}${port === 80 ? "" : `:${port}`}`;
  return Object.freeze({
    dataDir: path.resolve(v.BERTH_DATA_DIR),
    host: v.BERTH_HOST,
    port,
    baseDomain: v.BERTH_BASE_DOMAIN,
    publicUrl,
    logLevel: v.BERTH_LOG_LEVEL,
    defaultRetention: v.BERTH_DEFAULT_RETENTION,
    auditRetentionDays: v.BERTH_AUDIT_RETENTION_DAYS,
    trustedProxies: v.BERTH_TRUSTED_PROXIES.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    builders: v.BERTH_BUILDERS,
    jobRunners: v.BERTH_JOB_RUNNERS,
    childEnv: Object.freeze({ ...env }),
    secretKey: v.BERTH_SECRET_KEY ?? null,
    workDir: v.BERTH_WORK_DIR ? path.resolve(v.BERTH_WORK_DIR) : null,
    sandbox: Object.freeze({
      mode: v.BERTH_SANDBOX,
      bwrap: v.BERTH_SANDBOX_BWRAP,
      limits: Object.freeze({
        memoryMb: v.BERTH_SANDBOX_MEMORY_MB,
        processes: v.BERTH_SANDBOX_PROCESSES,
        fileSizeMb: v.BERTH_SANDBOX_FILE_SIZE_MB,
        cpuSeconds: v.BERTH_SANDBOX_CPU_SECONDS,
      }),
    }),
    edge: Object.freeze({
      mode: v.BERTH_EDGE,
      nginx: Object.freeze({
        command: [v.BERTH_NGINX_BIN, ...argv(v.BERTH_NGINX_ARGS)],
        sitesAvailable: path.resolve(v.BERTH_NGINX_SITES_AVAILABLE),
        sitesEnabled: path.resolve(v.BERTH_NGINX_SITES_ENABLED),
        reload: v.BERTH_NGINX_RELOAD
          ? argv(v.BERTH_NGINX_RELOAD)
          : [v.BERTH_NGINX_BIN, ...argv(v.BERTH_NGINX_ARGS), "-s", "reload"],
        listenAll: Object.freeze(splitList(v.BERTH_NGINX_LISTEN)),
        listenTlsAll: Object.freeze(splitList(v.BERTH_NGINX_LISTEN_TLS)),
        listen: splitList(v.BERTH_NGINX_LISTEN)[0] ?? "80",
        listenTls: splitList(v.BERTH_NGINX_LISTEN_TLS)[0] ?? "443",
      }),
      publicIpv4: v.BERTH_PUBLIC_IPV4 ?? null,
      publicIpv6: v.BERTH_PUBLIC_IPV6 ?? null,
      cnameTarget: v.BERTH_DNS_CNAME_TARGET?.replace(/\.$/, "") ?? null,
      cloudflareApiUrl: v.BERTH_CLOUDFLARE_API_URL ?? null,
      acme: Object.freeze({
        directoryUrl: v.BERTH_ACME_DIRECTORY,
        email: v.BERTH_ACME_EMAIL ?? null,
        caFile: v.BERTH_ACME_CA_FILE ?? null,
      }),
    }),
    autoMonitors: v.BERTH_AUTO_MONITORS === "on",
    metricsToken: v.BERTH_METRICS_TOKEN ?? null,
    notifyAllowPrivate: v.BERTH_NOTIFY_ALLOW_PRIVATE === "on",
    limits: Object.freeze({
      maxBundleBytes: v.BERTH_MAX_BUNDLE_BYTES,
      maxEntries: v.BERTH_MAX_ENTRIES,
      maxUncompressedBytes: v.BERTH_MAX_UNCOMPRESSED_BYTES,
      maxCompressionRatio: v.BERTH_MAX_COMPRESSION_RATIO,
    }),
    reports: Object.freeze({
      maxEventBytes: v.BERTH_REPORT_MAX_EVENT_BYTES,
      maxEnvelopeBytes: v.BERTH_REPORT_MAX_ENVELOPE_BYTES,
      ratePerMinute: v.BERTH_REPORT_RATE_PER_MINUTE,
      retentionDays: v.BERTH_REPORT_RETENTION_DAYS,
      eventsPerGroup: v.BERTH_REPORT_EVENTS_PER_GROUP,
    }),
  });
}
