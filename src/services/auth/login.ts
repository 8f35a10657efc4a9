import type { Session, User } from "../../domain/auth/auth-types.ts";
import { DomainError, RateLimited } from "../../domain/errors.ts";
import type { AuthDeps } from "./deps.ts";
import { dummyHash, verifyPassword } from "./passwords.ts";
import { createSession } from "./sessions.ts";
import { normalizeEmail } from "./users.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/**
 * Throttling as OWASP's authentication cheat sheet has it: the growing delay applies to
 * one (account, address) pair, so a stranger's wrong guesses never slow the owner down;
 * one address is capped across accounts, and one account across addresses at a ceiling
 * above what any single address may try, so distributed guessing stays bounded while no
 * single outsider can lock a user out.
 */
export const IP_FAILURES_PER_HOUR = 300;
export const ACCOUNT_FAILURES_PER_HOUR = 1000;
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
  const pair = deps.repos.users.loginFailuresSince({ email, ip }, now - HOUR);
  const refuse = (until: number) => {
    throw new RateLimited(
      "Too many failed sign-ins; wait a moment and try again.",
      Math.max(1, Math.ceil((until - now) / 1000)),
    );
  };
  if (account.n >= ACCOUNT_FAILURES_PER_HOUR) refuse(account.last + HOUR);
  if (byIp.n >= IP_FAILURES_PER_HOUR) refuse(byIp.last + HOUR);
  const wait = delayAfter(pair.n);
  if (wait > 0 && now - pair.last < wait) refuse(pair.last + wait);
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
  deps.repos.users.clearLoginFailures(email, input.ip);
  const { token, session } = createSession(deps, user.id, input.ip, now);
  return { user, token, session };
}
