import http from "node:http";
import { writeTx } from "../../db/client.ts";
import { unprocessable } from "../../domain/errors.ts";
import type { HealthProbe } from "../../domain/releases/health-probe.ts";
import type { Environment } from "../../domain/releases/types.ts";
import type { ReleasesDeps } from "./deps.ts";

export type { HealthProbe };

export type HealthResult = { ok: boolean; attempts: number; message: string };

const PAUSE_MS = 500;

/**
 * Runs an environment's health check against what is now served: expected status and,
 * when set, a keyword in the body; retried `healthRetries` times before it counts as failed.
 */
export async function checkHealth(
  deps: ReleasesDeps,
  service: string,
  env: Environment,
  note: (message: string) => void,
): Promise<HealthResult> {
  const path = env.healthPath as string;
  const tries = Math.max(1, env.healthRetries + 1);
  let last = "";
  for (let attempt = 1; attempt <= tries; attempt++) {
    try {
      const res = await deps.probe({ service, environment: env.name }, path, env.healthTimeoutMs);
      if (res.status !== env.healthStatus) {
        last = `GET ${path} answered ${res.status}, expected ${env.healthStatus}`;
      } else if (env.healthKeyword && !res.body.includes(env.healthKeyword)) {
        last = `GET ${path} answered ${res.status} without "${env.healthKeyword}" in the body`;
      } else {
        return { ok: true, attempts: attempt, message: `GET ${path} answered ${res.status}` };
      }
    } catch (err) {
      last = `GET ${path} failed: ${(err as Error).message}`;
    }
    note(`Health check ${attempt}/${tries}: ${last}.`);
    if (attempt < tries) await new Promise((r) => setTimeout(r, PAUSE_MS));
  }
  return { ok: false, attempts: tries, message: last };
}

/**
 * The probe of a running Berth: HTTP to its own listener (or nginx's) with the site's Host.
 * node:http, not fetch: fetch (undici) drops a `Host` header, so the probe would reach
 * Berth's own pages instead of the site.
 */
export function httpProbe(
  address: { host: string; port: number },
  baseDomain: string,
): HealthProbe {
  return (site, path, timeoutMs) => {
    const host = `${site.environment}--${site.service}.${baseDomain}`;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: address.host,
          port: address.port,
          path,
          method: "GET",
          headers: { host, "user-agent": "berth-health-check" },
          agent: false,
          signal: AbortSignal.timeout(timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            if (size < MAX_BODY) chunks.push(c);
            size += c.length;
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_BODY),
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end();
    });
  };
}

const MAX_BODY = 1024 * 1024;

export type HealthSettings = {
  path: string | null;
  status?: number;
  keyword?: string | null;
  timeoutMs?: number;
  retries?: number;
};

/** Sets or clears (path null) an environment's health check. */
export function setHealthCheck(
  deps: ReleasesDeps,
  env: Environment,
  input: HealthSettings,
): Environment {
  const path = input.path?.trim() || null;
  if (path !== null && (!path.startsWith("/") || path.length > 500 || /[\s\0]/.test(path))) {
    throw unprocessable(
      "invalid_health_path",
      "The health check path must start with / and have no spaces.",
      "healthPath",
    );
  }
  const status = input.status ?? env.healthStatus;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw unprocessable(
      "invalid_health_status",
      "The expected status must be an HTTP status code.",
      "healthStatus",
    );
  }
  const timeoutMs = input.timeoutMs ?? env.healthTimeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) {
    throw unprocessable(
      "invalid_health_timeout",
      "The timeout must be 100 ms to 60 s.",
      "healthTimeoutMs",
    );
  }
  const retries = input.retries ?? env.healthRetries;
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) {
    throw unprocessable("invalid_health_retries", "Retries must be 0 to 10.", "healthRetries");
  }
  const keyword =
    input.keyword === undefined ? env.healthKeyword : input.keyword?.slice(0, 200) || null;
  return writeTx(deps.db, (tx) => {
    const row = deps.repos.environments.update(tx, env.id, {
      healthPath: path,
      healthStatus: status,
      healthKeyword: keyword,
      healthTimeoutMs: timeoutMs,
      healthRetries: retries,
    });
    deps.repos.environments.addEvent(tx, {
      environmentId: env.id,
      action: "environment.health",
      message: path
        ? `Health check set: GET ${path} expects ${status}${keyword ? ` and "${keyword}"` : ""}.`
        : "Health check removed.",
    });
    return row;
  });
}

/** Where a running Berth's sites answer: nginx's listener in nginx mode, else Berth's own. */
export function probeAddress(
  edge: { mode: "embedded" | "nginx"; nginx: { listen: string } },
  host: string,
  port: number,
): { host: string; port: number } {
  if (edge.mode === "nginx") {
    const m = /^(?:\[?([0-9a-fA-F:.]+)\]?:)?(\d+)$/.exec(edge.nginx.listen);
    return { host: m?.[1] ?? "127.0.0.1", port: Number(m?.[2] ?? 80) };
  }
  const wildcard = host === "0.0.0.0" || host === "::" || host === "[::]";
  return { host: wildcard ? "127.0.0.1" : host, port };
}
