import path from "node:path";
import { z } from "zod";

const bytes = (name: string, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a number of bytes` })
    .int(`${name} must be a whole number of bytes`)
    .positive(`${name} must be positive`)
    .default(fallback);

const MiB = 1024 * 1024;

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
  BERTH_DEFAULT_RETENTION: z.coerce
    .number({ error: "BERTH_DEFAULT_RETENTION must be a number" })
    .int("BERTH_DEFAULT_RETENTION must be a whole number")
    .min(1, "BERTH_DEFAULT_RETENTION must be at least 1")
    .max(1000, "BERTH_DEFAULT_RETENTION must be at most 1000")
    .default(10),
});

export type Limits = Readonly<{
  maxBundleBytes: number;
  maxEntries: number;
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
}>;

export type Config = Readonly<{
  dataDir: string;
  host: string;
  port: number;
  baseDomain: string;
  publicUrl: string;
  logLevel: string;
  defaultRetention: number;
  limits: Limits;
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
    limits: Object.freeze({
      maxBundleBytes: v.BERTH_MAX_BUNDLE_BYTES,
      maxEntries: v.BERTH_MAX_ENTRIES,
      maxUncompressedBytes: v.BERTH_MAX_UNCOMPRESSED_BYTES,
      maxCompressionRatio: v.BERTH_MAX_COMPRESSION_RATIO,
    }),
  });
}
