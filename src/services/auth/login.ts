import type { Session, User } from "../../domain/auth-types.ts";
import { DomainError, RateLimited } from "../../domain/errors.ts";
import type { AuthDeps } from "./deps.ts";
import { dummyHash, verifyPassword } from "./passwords.ts";
import { createSession } from "./sessions.ts";
import { normalizeEmail } from "./users.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const ACCOUNT_FAILURES_PER_HOUR = 100;
export const IP_FAILURES_PER_HOUR = 300;
/** Failures allowed in a row before each further try has to wait, doubling each time. */
const FREE_TRIES = 5;
const MAX_DELAY_MS = 15 * MINUTE;

export function delayAfter(failures: number): number {
  if (failures < FREE_TRIES) return 0;
  return Math.min(1000 * 2 ** (failures - FREE_TRIES), MAX_DELAY_MS);
}

function checkLimits(deps: AuthDeps, email: string, ip: string, now: number): void {
  const account = deps.repos.users.loginFailuresSince({ email }, now - HOUR);
  const byIp = deps.repos.users.loginFailuresSince({ ip }, now - HOUR);
  const refuse = (until: number) => {
    throw new RateLimited(
      "Too many failed sign-ins; wait a moment and try again.",
      Math.max(1, Math.ceil((until - now) / 1000)),
    );
  };
  if (account.n >= ACCOUNT_FAILURES_PER_HOUR) refuse(account.last + HOUR);
  if (byIp.n >= IP_FAILURES_PER_HOUR) refuse(byIp.last + HOUR);
  const wait = delayAfter(account.n);
  if (wait > 0 && now - account.last < wait) refuse(account.last + wait);
}

/**
 * Checks a password and opens a session. An unknown account and a wrong password get the
 * same answer after the same work (a hash is verified either way).
 */
export async function login(
  deps: AuthDeps,
  input: { email: string; password: string; ip: string },
  now = Date.now(),
): Promise<{ user: User; token: string; session: Session }> {
  const email = normalizeEmail(input.email);
  checkLimits(deps, email, input.ip, now);
  const user = deps.repos.users.byEmail(email);
  const ok = await verifyPassword(
    user?.passwordHash ?? (await dummyHash()),
    input.password.slice(0, 1024),
  );
  if (!user || !ok || user.disabled) {
    deps.repos.users.addLoginFailure(email, input.ip, now);
    throw new DomainError("unauthenticated", "invalid_credentials", "Wrong email or password.");
  }
  deps.repos.users.clearLoginFailures(email);
  const { token, session } = createSession(deps, user.id, input.ip, now);
  return { user, token, session };
}
