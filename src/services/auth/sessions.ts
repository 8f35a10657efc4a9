import { writeTx } from "../../db/client.ts";
import type { Session, User } from "../../domain/auth/auth-types.ts";
import type { AuthDeps } from "./deps.ts";
import { generateToken, hashToken, sameHash } from "./tokens.ts";

const DAY = 24 * 60 * 60 * 1000;
/** Idle limit: a session unused this long ends; each use within it slides it forward. */
export const SESSION_IDLE_MS = 14 * DAY;
/** Absolute limit: no session lives longer than this, however active. */
export const SESSION_MAX_MS = 30 * DAY;

export type SessionResult = { session: Session; user: User; fresh: boolean };

export function createSession(deps: AuthDeps, userId: number, ip: string | null, now = Date.now()) {
  const token = generateToken();
  const session: Session = {
    id: hashToken(token),
    userId,
    createdAt: now,
    expiresAt: Math.min(now + SESSION_IDLE_MS, now + SESSION_MAX_MS),
    ip,
  };
  writeTx(deps.db, (tx) => deps.repos.users.insertSession(tx, session));
  return { token, session };
}

/**
 * Looks a cookie's token up by its hash. Expired sessions and disabled users are refused;
 * a session past half its idle window is extended (`fresh`: the cookie must be re-sent).
 */
export function validateSessionToken(
  deps: AuthDeps,
  token: string,
  now = Date.now(),
): SessionResult | null {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const id = hashToken(token);
  const session = deps.repos.users.session(id);
  if (!session || !sameHash(session.id, id)) return null;
  const user = deps.repos.users.byId(session.userId);
  const absoluteEnd = session.createdAt + SESSION_MAX_MS;
  if (!user || user.disabled || now >= session.expiresAt || now >= absoluteEnd) {
    writeTx(deps.db, (tx) => deps.repos.users.deleteSession(tx, id));
    return null;
  }
  let fresh = false;
  if (session.expiresAt - now < SESSION_IDLE_MS / 2) {
    session.expiresAt = Math.min(now + SESSION_IDLE_MS, absoluteEnd);
    deps.repos.users.extendSession(id, session.expiresAt);
    fresh = true;
  }
  return { session, user, fresh };
}

export function invalidateSession(deps: AuthDeps, sessionId: string): void {
  writeTx(deps.db, (tx) => deps.repos.users.deleteSession(tx, sessionId));
}
