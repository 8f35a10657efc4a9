import { setTimeout as sleep } from "node:timers/promises";
import { APIConnectionError, APIError, APIUserAbortError } from "cloudflare";
import { dnsError } from "./errors.ts";

/**
 * Our own retries, with the SDK's turned off (maxRetries: 0). The SDK would retry 429
 * and 5xx too, but it sleeps for whatever Retry-After says (an hour, if asked) and its
 * backoff cannot be tuned; here every wait is bounded and a test can shorten them.
 */
export type RetryPolicy = {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A 429 asking for a longer wait than this fails at once, saying how long. */
  maxRetryAfterMs: number;
};

export const defaultRetry: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
};

/** Cloudflare's error codes in an API error's envelope (`errors[].code`). */
export function errorCodes(err: unknown): number[] {
  if (!(err instanceof APIError)) return [];
  return (err.errors ?? []).map((e) => Number(e.code));
}

/** Retry-After in milliseconds: seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | null {
  const value = headers?.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const transient = (err: unknown) =>
  err instanceof APIConnectionError ||
  (err instanceof APIError &&
    !(err instanceof APIUserAbortError) &&
    (err.status === 429 || (err.status ?? 0) >= 500));

/**
 * Runs a Cloudflare call, waiting out rate limits and retrying server errors with backoff.
 * An error carrying one of the `done` codes (say, "record already exists") resolves null.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  what: string,
  call: () => Promise<T>,
  done: readonly number[] = [],
): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (errorCodes(err).some((code) => done.includes(code))) return null;
      if (!transient(err) || attempt >= policy.attempts) throw toDnsError(err, what, attempt);
      const asked =
        err instanceof APIError && err.status === 429 ? retryAfterMs(err.headers) : null;
      if (asked !== null && asked > policy.maxRetryAfterMs) throw toDnsError(err, what, attempt);
      const backoff = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
      await sleep(asked ?? backoff * (0.75 + Math.random() * 0.25));
    }
  }
}

function firstMessage(err: APIError): string {
  const first = err.errors?.[0];
  return first ? `${first.code}: ${first.message}` : err.message;
}

/** An SDK error as a sentence an operator can act on; anything else passes through. */
export function toDnsError(err: unknown, what: string, attempts = 1): Error {
  if (err instanceof APIConnectionError) {
    return dnsError(
      "dns_unavailable",
      `Could not reach the Cloudflare API to ${what}${attempts > 1 ? ` (${attempts} tries)` : ""}: ${err.message}`,
    );
  }
  if (!(err instanceof APIError)) return err as Error;
  const status = err.status ?? 0;
  if (status === 401 || status === 403) {
    return dnsError(
      "dns_auth_failed",
      `Cloudflare refused the API token (HTTP ${status}, ${firstMessage(err)}): it needs Zone:Read and DNS:Edit permissions on the zone.`,
    );
  }
  if (status === 429) {
    const wait = retryAfterMs(err.headers);
    const when = wait === null ? "later" : `in ${Math.ceil(wait / 1000)} s`;
    return dnsError(
      "dns_rate_limited",
      `Cloudflare is rate-limiting requests (HTTP 429) and could not ${what}: try again ${when}.`,
    );
  }
  if (status >= 500) {
    return dnsError(
      "dns_unavailable",
      `Cloudflare answered HTTP ${status} ${attempts} times when asked to ${what}: try again later.`,
    );
  }
  return dnsError(
    "dns_rejected",
    `Cloudflare refused to ${what} (HTTP ${status}, ${firstMessage(err)}).`,
  );
}
