import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { User } from "../../domain/auth/auth-types.ts";
import type { Principal } from "../../domain/auth/permissions.ts";
import { unauthenticated } from "../../domain/errors.ts";
import { authenticateKey } from "../../services/auth/api-keys.ts";
import { principalOf } from "../../services/auth/principal.ts";
import { validateSessionToken } from "../../services/auth/sessions.ts";
import type { Deps } from "../../services/core/deps.ts";

export type AuthVars = {
  principal: Principal | null;
  user: User | null;
  sessionId: string | null;
  ip: string;
};

export type SessionCookie = { name: string; secure: boolean };

/** `__Host-` and Secure when Berth is reached over https; a plain name on http. */
export function sessionCookie(publicUrl: string): SessionCookie {
  const secure = publicUrl.startsWith("https:");
  return { name: secure ? "__Host-berth_session" : "berth_session", secure };
}

export function writeSessionCookie(
  c: Context,
  cookie: SessionCookie,
  token: string,
  expiresAt: number,
) {
  setCookie(c, cookie.name, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: cookie.secure,
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(c: Context, cookie: SessionCookie) {
  deleteCookie(c, cookie.name, { path: "/", secure: cookie.secure });
}

/**
 * The client's address: the socket's peer, or, when that peer is a trusted proxy (the
 * local nginx), the last address the proxy appended to X-Forwarded-For.
 */
export function clientIp(c: Context, trustedProxies: readonly string[]): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming;
  const peer = (incoming?.socket?.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
  if (!trustedProxies.includes(peer)) return peer;
  const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
  return forwarded && /^[0-9a-fA-F.:]{2,45}$/.test(forwarded) ? forwarded : peer;
}

/**
 * Works out who is asking: an API key (`Authorization: Bearer berth_...`) or a session
 * cookie. A bearer header that does not check out is refused outright, cookie or not.
 */
export function authenticate(
  deps: Deps,
  cookie: SessionCookie,
  trustedProxies: readonly string[] = [],
): MiddlewareHandler<{ Variables: AuthVars }> {
  return async (c, next) => {
    c.set("principal", null);
    c.set("user", null);
    c.set("sessionId", null);
    c.set("ip", clientIp(c, trustedProxies));
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const found = m?.[1] ? authenticateKey(deps, m[1]) : null;
      // /metrics may carry the configured Prometheus token instead: its route decides
      if (!found && c.req.path === "/metrics") return next();
      if (!found) throw unauthenticated("The API key is not valid, revoked or expired.");
      c.set("principal", principalOf(found.user, found.key));
      c.set("user", found.user);
      return next();
    }
    const token = getCookie(c, cookie.name);
    if (token) {
      const result = validateSessionToken(deps, token);
      if (result) {
        c.set("principal", principalOf(result.user));
        c.set("user", result.user);
        c.set("sessionId", result.session.id);
        if (result.fresh) writeSessionCookie(c, cookie, token, result.session.expiresAt);
      } else {
        clearSessionCookie(c, cookie);
      }
    }
    return next();
  };
}
