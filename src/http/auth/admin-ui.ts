import type { Context } from "hono";
import {
  can,
  canAssignRole,
  grantableScopes,
  type Principal,
  ROLES,
} from "../../domain/auth/permissions.ts";
import { DomainError, forbidden } from "../../domain/errors.ts";
import { createKeyAs, parseExpiry, revokeKeyAs } from "../../services/auth/api-keys.ts";
import { verifyPassword } from "../../services/auth/passwords.ts";
import {
  changePassword,
  createUser,
  deleteUser,
  getUser,
  updateUser,
} from "../../services/auth/users.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { render } from "../render.ts";
import { readForm, type Ui } from "../ui-shared.ts";

const principal = (c: Context<Env>) => c.get("principal") as Principal;

/** Users, API keys and the audit trail. */
export function uiAdmin(ui: Ui, h: HttpDeps): void {
  const { deps } = h;

  const usersPage = (
    c: Context<Env>,
    extra: { errors?: Record<string, string>; values?: object } = {},
    status: 200 | 403 | 404 | 409 | 422 = 200,
  ) =>
    render(c, {
      page: "pages/admin/users.njk",
      partial: "partials/admin/_users.njk",
      ctx: {
        title: "Users",
        nav: "users",
        users: deps.repos.users.list(),
        roles: ROLES.filter((r) => canAssignRole(principal(c), r)),
        me: principal(c).userId,
        errors: extra.errors ?? {},
        values: extra.values ?? {},
      },
      status,
    });

  ui.get("/users", guard("users.manage"), (c) => usersPage(c));

  ui.post("/users", guard("users.manage"), async (c) => {
    const f = await readForm(c);
    const services = (f.services ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      if (!canAssignRole(principal(c), f.role as never))
        throw forbidden("Only an owner can make owners.");
      await createUser(deps, {
        email: f.email ?? "",
        password: f.password ?? "",
        role: f.role ?? "",
        services,
      });
      return usersPage(c);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = err.kind === "conflict" ? 409 : err.kind === "forbidden" ? 403 : 422;
      return usersPage(c, { errors: { [err.field ?? "form"]: err.message }, values: f }, status);
    }
  });

  const changeUser = async (c: Context<Env>, change: (id: number) => Promise<void> | void) => {
    const id = Number(c.req.param("id"));
    try {
      const target = getUser(deps, id);
      if (target.role === "owner" && principal(c).role !== "owner")
        throw forbidden("Only an owner can change an owner.");
      await change(id);
      return usersPage(c);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status =
        err.kind === "not_found"
          ? 404
          : err.kind === "forbidden"
            ? 403
            : err.kind === "conflict"
              ? 409
              : 422;
      return usersPage(c, { errors: { form: err.message } }, status);
    }
  };

  ui.post("/users/:id/role", guard("users.manage"), async (c) => {
    const { role } = await readForm(c);
    return changeUser(c, (id) => {
      if (!canAssignRole(principal(c), role as never))
        throw forbidden("Only an owner can make owners.");
      updateUser(deps, id, { role });
    });
  });
  ui.post("/users/:id/disable", guard("users.manage"), (c) =>
    changeUser(c, (id) => void updateUser(deps, id, { disabled: true })),
  );
  ui.post("/users/:id/enable", guard("users.manage"), (c) =>
    changeUser(c, (id) => void updateUser(deps, id, { disabled: false })),
  );
  ui.post("/users/:id/delete", guard("users.manage"), (c) =>
    changeUser(c, (id) => deleteUser(deps, id)),
  );
  ui.post("/users/:id/password", guard("users.manage"), async (c) => {
    const { password } = await readForm(c);
    return changeUser(c, (id) =>
      changePassword(
        deps,
        id,
        password ?? "",
        id === principal(c).userId ? (c.get("sessionId") ?? undefined) : undefined,
      ),
    );
  });

  const keysPage = (
    c: Context<Env>,
    extra: { created?: string; errors?: Record<string, string>; values?: object } = {},
    status: 200 | 201 | 403 | 404 | 422 = 200,
  ) => {
    const p = principal(c);
    const all = can(p, "keys.manage");
    const users = new Map(deps.repos.users.list().map((u) => [u.id, u.email]));
    return render(c, {
      page: "pages/admin/keys.njk",
      partial: "partials/admin/_keys.njk",
      ctx: {
        title: "API keys",
        nav: "keys",
        keys: deps.repos.users.keys(all ? undefined : p.userId).map((k) => ({
          ...k,
          owner: users.get(k.userId),
          state: k.revokedAt
            ? "revoked"
            : k.expiresAt && k.expiresAt < Date.now()
              ? "expired"
              : "active",
        })),
        showOwner: all,
        scopes: grantableScopes(p),
        services: deps.repos.services
          .list()
          .map((s) => s.name)
          .filter((s) => !p.services || p.services.includes(s)),
        created: extra.created,
        publicUrl: h.publicUrl,
        errors: extra.errors ?? {},
        values: extra.values ?? {},
      },
      status,
    });
  };

  ui.get("/keys", guard("keys"), (c) => keysPage(c));

  ui.post("/keys", guard("keys"), async (c) => {
    const f = await readForm(c);
    try {
      const { key } = createKeyAs(deps, principal(c), {
        name: f.name ?? "",
        scope: (f.scope ?? "") as never,
        service: f.service || null,
        expiresIn: parseExpiry(f.expires),
      });
      return keysPage(c, { created: key }, 201);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = err.kind === "forbidden" ? 403 : err.kind === "not_found" ? 404 : 422;
      return keysPage(c, { errors: { [err.field ?? "form"]: err.message }, values: f }, status);
    }
  });

  ui.post("/keys/:id/revoke", guard("keys"), (c) => {
    try {
      revokeKeyAs(deps, principal(c), Number(c.req.param("id")));
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return keysPage(c, { errors: { form: "There is no such key." } }, 404);
    }
    return keysPage(c);
  });

  const accountPage = (
    c: Context<Env>,
    extra: { errors?: Record<string, string>; saved?: boolean } = {},
    status: 200 | 403 | 422 = 200,
  ) =>
    render(c, {
      page: "pages/admin/account.njk",
      partial: "partials/admin/_password.njk",
      ctx: {
        title: "Account",
        nav: "account",
        errors: extra.errors ?? {},
        saved: extra.saved ?? false,
      },
      status,
    });

  ui.get("/account", guard("signed-in"), (c) => accountPage(c));

  ui.post("/account/password", guard("session"), async (c) => {
    const f = await readForm(c);
    const p = principal(c);
    if (!(await verifyPassword(getUser(deps, p.userId).passwordHash, f.currentPassword ?? ""))) {
      return accountPage(
        c,
        { errors: { currentPassword: "That is not your current password." } },
        422,
      );
    }
    try {
      await changePassword(deps, p.userId, f.password ?? "", c.get("sessionId") ?? undefined);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return accountPage(c, { errors: { [err.field ?? "form"]: err.message } }, 422);
    }
    return accountPage(c, { saved: true });
  });

  ui.get("/audit", guard("audit.read"), (c) => {
    const q = c.req.query();
    const result = ["ok", "denied", "failed"].includes(q.result ?? "")
      ? (q.result as "ok")
      : undefined;
    const before = Number(q.before) || undefined;
    const limit = 100;
    const rows = deps.repos.audit.list({
      actor: q.actor || undefined,
      action: q.action || undefined,
      target: q.target || undefined,
      result,
      before,
      limit: limit + 1,
    });
    const filters = {
      actor: q.actor ?? "",
      action: q.action ?? "",
      target: q.target ?? "",
      result: result ?? "",
    };
    const more = rows.length > limit ? rows[limit - 1]?.id : undefined;
    return render(c, {
      page: "pages/admin/audit.njk",
      partial: "partials/admin/_audit.njk",
      ctx: {
        title: "Audit",
        nav: "audit",
        events: rows.slice(0, limit),
        filters,
        nextQuery: more
          ? new URLSearchParams({ ...filters, before: String(more) }).toString()
          : null,
      },
    });
  });
}
