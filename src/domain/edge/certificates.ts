import type { Domain } from "../releases/types.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A certificate is renewed once it has this little time left (Let's Encrypt's advice). */
export const RENEW_BEFORE_MS = 30 * DAY;
export const FIRST_RETRY_MS = 5 * MINUTE;
export const MAX_RETRY_MS = DAY;

/**
 * How long to wait after the nth failure in a row (n >= 1): 5 min, 10, 20, ... up to a
 * day. Let's Encrypt counts failed validations per hostname, so a domain whose DNS is
 * wrong must not be retried every minute.
 */
export function certificateRetryDelay(failures: number): number {
  const n = Math.max(1, Math.floor(failures));
  // 2^9 × 5 min is already past a day; stop there so huge counts cannot overflow
  return Math.min(FIRST_RETRY_MS * 2 ** Math.min(n - 1, 10), MAX_RETRY_MS);
}

export type CertificateState = Pick<Domain, "certStatus" | "certExpiresAt" | "certNextAttemptAt">;

/** Whether the scheduler should ask for a certificate now. */
export function certificateDue(d: CertificateState, now: number): boolean {
  switch (d.certStatus) {
    case "none":
    case "pending":
      return d.certNextAttemptAt === null || d.certNextAttemptAt <= now;
    case "issued":
      return d.certExpiresAt === null || d.certExpiresAt - now <= RENEW_BEFORE_MS;
    case "error":
      return d.certNextAttemptAt === null || d.certNextAttemptAt <= now;
  }
}

/** The names one certificate covers: the hostname, and www.<hostname> when it redirects. */
export function certificateNames(d: Pick<Domain, "hostname" | "wwwRedirect">): string[] {
  return d.wwwRedirect ? [d.hostname, `www.${d.hostname}`] : [d.hostname];
}
