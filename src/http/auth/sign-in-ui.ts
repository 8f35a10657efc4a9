import type { Context, Hono } from "hono";
import { DomainError } from "../../domain/errors.ts";
import { audit } from "../../services/auth/audit.ts";
import { login } from "../../services/auth/login.ts";
import { principalOf } from "../../services/auth/principal.ts";
import { createSession, invalidateSession } from "../../services/auth/sessions.ts";
import type { Env, HttpDeps } from "../context.ts";
import { clearSessionCookie, type SessionCookie, writeSessionCookie } from "../middleware/auth.ts";
import { renderView } from "../render.ts";

/** Only same-site paths: `next` never sends anyone to another origin. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\w\-./?=&%]*$/.test(next) ? next : "/";
}

async function form(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, typeof v === "string" ? v : ""]),
  );
}

/** Sign-in, sign-out and the first-run setup page. */
export function authRoutes(app: Hono<Env>, h: HttpDeps, cookie: SessionCookie): void {
  const { deps, setup } = h;
  const page = (c: Context, name: string, ctx: object, status: 200 | 401 | 403 | 422 | 429 = 200) =>
    c.html(renderView(name, { viewer: null, ...ctx }), status);

  app.get("/login", (c) => {
    if (setup.needed()) return page(c, "pages/auth/setup-pending.njk", { title: "Set up Berth" });
    if (c.get("principal")) return c.redirect(safeNext(c.req.query("next")), 302);
    return page(c, "pages/auth/login.njk", {
      title: "Sign in",
      next: safeNext(c.req.query("next")),
      values: {},
    });
  });

  app.post("/login", async (c) => {
    const f = await form(c);
    const next = safeNext(f.next);
    try {
      const { user, token, session } = await login(deps, {
        email: f.email ?? "",
        password: f.password ?? "",
        ip: c.get("ip"),
      });
      writeSessionCookie(c, cookie, token, session.expiresAt);
      audit(deps, { principal: principalOf(user), action: "login", status: 200, ip: c.get("ip") });
      if (c.req.header("hx-request")) {
        c.header("HX-Redirect", next);
        return c.body(null, 204);
      }
      return c.redirect(next, 303);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = err.kind === "rate_limited" ? 429 : 401;
      audit(deps, {
        principal: null,
        actorHint: (f.email ?? "").slice(0, 200),
        action: "login",
        status,
        ip: c.get("ip"),
      });
      if (status === 429)
        c.header(
          "Retry-After",
          String((err as { retryAfterSeconds?: number }).retryAfterSeconds ?? 60),
        );
      return page(
        c,
        "pages/auth/login.njk",
        { title: "Sign in", next, values: { email: f.email }, error: err.message },
        status,
      );
    }
  });

  const logout = (c: Context<Env>) => {
    const sessionId = c.get("sessionId");
    if (sessionId) invalidateSession(deps, sessionId);
    clearSessionCookie(c, cookie);
    return c.redirect("/login", 303);
  };
  app.post("/logout", logout);

  app.get("/setup", (c) => {
    if (!setup.needed()) return c.redirect("/login", 302);
    const token = c.req.query("token");
    if (!setup.check(token))
      return page(
        c,
        "pages/auth/setup-pending.njk",
        { title: "Set up Berth", badToken: Boolean(token) },
        403,
      );
    return page(c, "pages/auth/setup.njk", {
      title: "Set up Berth",
      token,
      values: {},
      errors: {},
    });
  });

  app.post("/setup", async (c) => {
    const f = await form(c);
    if (!setup.needed()) return c.redirect("/login", 303);
    try {
      const user = await setup.complete(f.token, {
        email: f.email ?? "",
        password: f.password ?? "",
      });
      const { token, session } = createSession(deps, user.id, c.get("ip"));
      writeSessionCookie(c, cookie, token, session.expiresAt);
      audit(deps, {
        principal: principalOf(user),
        action: "setup",
        target: user.email,
        status: 201,
        ip: c.get("ip"),
      });
      return c.redirect("/", 303);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      if (err.code === "invalid_setup_token")
        return page(
          c,
          "pages/auth/setup-pending.njk",
          { title: "Set up Berth", badToken: true },
          403,
        );
      const errors = { [err.field ?? "form"]: err.message };
      return page(
        c,
        "pages/auth/setup.njk",
        { title: "Set up Berth", token: f.token, values: { email: f.email }, errors },
        422,
      );
    }
  });
}
