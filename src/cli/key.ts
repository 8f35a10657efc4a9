import type { Scope } from "../domain/auth/permissions.ts";
import { createApiKey, parseExpiry, revokeApiKey } from "../services/auth/api-keys.ts";
import { normalizeEmail } from "../services/auth/users.ts";
import type { Deps } from "../services/core/deps.ts";
import type { Io } from "./io.ts";
import { table } from "./table.ts";

export function keyCommand(
  deps: Deps,
  io: Io,
  verb: string | undefined,
  args: string[],
  opts: { user?: string; scope?: string; service?: string[]; expires?: string; name?: string },
): number {
  if (verb === "create") {
    if (!opts.user || !opts.scope) {
      io.err("berth: usage: berth key create --user <email> --scope <read|deploy|write|admin>");
      return 2;
    }
    const user = deps.repos.users.byEmail(normalizeEmail(opts.user));
    if (!user) {
      io.err(`berth: there is no user ${opts.user}`);
      return 1;
    }
    const service = opts.service?.[0] ?? null;
    const { key, record } = createApiKey(deps, user, {
      name: opts.name ?? `cli ${new Date().toISOString().slice(0, 10)}`,
      scope: opts.scope as Scope,
      service,
      expiresIn: parseExpiry(opts.expires),
    });
    io.err(
      `Created key ${record.id} (${record.scope}${service ? `, service ${service}` : ""}) for ${user.email}. It is shown once:`,
    );
    io.out(key);
    return 0;
  }
  if (verb === "list") {
    const rows = deps.repos.users.keys().map((k) => {
      const state = k.revokedAt
        ? "revoked"
        : k.expiresAt && k.expiresAt < Date.now()
          ? "expired"
          : "active";
      return [String(k.id), `${k.prefix}…`, k.scope, k.service ?? "*", state, k.name];
    });
    for (const line of table(["ID", "PREFIX", "SCOPE", "SERVICE", "STATE", "NAME"], rows)) {
      io.out(line);
    }
    return 0;
  }
  if (verb === "revoke") {
    const id = Number(args[0]);
    if (!Number.isInteger(id)) {
      io.err("berth: usage: berth key revoke <id>");
      return 2;
    }
    revokeApiKey(deps, id);
    io.out(`Revoked key ${id}.`);
    return 0;
  }
  io.err(`berth: unknown key command "${verb ?? ""}" (create, list, revoke)`);
  return 2;
}
