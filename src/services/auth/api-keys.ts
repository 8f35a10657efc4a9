import { writeTx } from "../../db/client.ts";
import type { ApiKey, User } from "../../domain/auth/auth-types.ts";
import {
  can,
  canManageKeys,
  keyRefusal,
  type Principal,
  SCOPES,
  type Scope,
} from "../../domain/auth/permissions.ts";
import { forbidden, notFound, unprocessable } from "../../domain/errors.ts";
import { assertName } from "../../domain/names.ts";
import type { AuthDeps } from "./deps.ts";
import { generateToken, hashToken, sameHash } from "./tokens.ts";

export const KEY_PREFIX = "berth_";
const KEY_PATTERN = /^berth_[a-z2-7]{32}$/;
const DAY = 24 * 60 * 60 * 1000;

/** "30d", "12h", "90" (days) or "never" → milliseconds or null. */
export function parseExpiry(text: string | undefined | null): number | null {
  if (!text || text === "never") return null;
  const m = /^(\d{1,5})\s*([dh]?)$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) {
    throw unprocessable(
      "invalid_expiry",
      'Expiry must look like "30d", "12h" or "never".',
      "expires",
    );
  }
  return Number(m[1]) * (m[2] === "h" ? 60 * 60 * 1000 : DAY);
}

export type NewKey = {
  name: string;
  scope: Scope;
  service?: string | null;
  expiresIn?: number | null;
};

/** Makes a key for a user. The full key is returned here once and never stored. */
export function createApiKey(deps: AuthDeps, user: User, input: NewKey, now = Date.now()) {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 80) {
    throw unprocessable("invalid_key_name", "Give the key a name of 1 to 80 characters.", "name");
  }
  if (!SCOPES.includes(input.scope)) {
    throw unprocessable("invalid_scope", `Scope must be one of ${SCOPES.join(", ")}.`, "scope");
  }
  const service = input.service || null;
  if (service) {
    assertName("service", service);
    if (!deps.repos.services.byName(service)) {
      throw notFound("service_not_found", `There is no service named "${service}".`);
    }
  }
  const secret = generateToken();
  const key = `${KEY_PREFIX}${secret}`;
  const record = writeTx(deps.db, (tx) =>
    deps.repos.users.insertKey(tx, {
      userId: user.id,
      name,
      prefix: key.slice(0, KEY_PREFIX.length + 8),
      hash: hashToken(key),
      scope: input.scope,
      service,
      expiresAt: input.expiresIn ? now + input.expiresIn : null,
    }),
  );
  return { key, record };
}

/** The key and its user for a bearer token, or null when unknown, revoked, expired or disabled. */
export function authenticateKey(
  deps: AuthDeps,
  token: string,
  now = Date.now(),
): { key: ApiKey; user: User } | null {
  if (!KEY_PATTERN.test(token)) return null;
  const hash = hashToken(token);
  const key = deps.repos.users.keyByHash(hash);
  if (!key || !sameHash(key.hash, hash)) return null;
  if (key.revokedAt !== null || (key.expiresAt !== null && now >= key.expiresAt)) return null;
  const user = deps.repos.users.byId(key.userId);
  if (!user || user.disabled) return null;
  // one write a minute at most: a busy CI key should not turn every read into a write
  if (key.lastUsedAt === null || now - key.lastUsedAt > 60_000)
    deps.repos.users.touchKey(key.id, now);
  return { key, user };
}

export function revokeApiKey(deps: AuthDeps, keyId: number, now = Date.now()): ApiKey {
  const key = deps.repos.users.keyById(keyId);
  if (!key) throw notFound("key_not_found", `There is no API key ${keyId}.`);
  if (key.revokedAt === null) writeTx(deps.db, (tx) => deps.repos.users.revokeKey(tx, keyId, now));
  return { ...key, revokedAt: key.revokedAt ?? now };
}

/**
 * Makes a key for the principal's own user, for the API and the UI alike: refused (403)
 * unless it is weaker than or equal to the principal in scope, services and expiry.
 */
export function createKeyAs(deps: AuthDeps, by: Principal, input: NewKey, now = Date.now()) {
  if (!SCOPES.includes(input.scope)) {
    throw unprocessable("invalid_scope", `Scope must be one of ${SCOPES.join(", ")}.`, "scope");
  }
  const service = input.service || null;
  const expiresAt = input.expiresIn ? now + input.expiresIn : null;
  const refusal = keyRefusal(by, { scope: input.scope, service, expiresAt });
  if (refusal) throw forbidden(refusal.message, refusal.field);
  const user = deps.repos.users.byId(by.userId);
  if (!user) throw notFound("user_not_found", "Your user no longer exists.");
  return createApiKey(deps, user, { ...input, service }, now);
}

/** Revokes a key the principal may manage: its own user's, or anyone's with keys.manage. */
export function revokeKeyAs(
  deps: AuthDeps,
  by: Principal,
  keyId: number,
  now = Date.now(),
): ApiKey {
  if (!canManageKeys(by))
    throw forbidden("Managing keys needs a signed-in session or an admin-scope key.");
  const key = deps.repos.users.keyById(keyId);
  if (!key || (key.userId !== by.userId && !can(by, "keys.manage")))
    throw notFound("key_not_found", `There is no API key ${keyId}.`);
  return revokeApiKey(deps, keyId, now);
}
