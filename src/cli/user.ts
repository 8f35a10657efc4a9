import { createUser } from "../services/auth/users.ts";
import type { Deps } from "../services/core/deps.ts";
import type { Io } from "./io.ts";
import { table } from "./table.ts";

export async function userCommand(
  deps: Deps,
  io: Io,
  verb: string | undefined,
  args: string[],
  opts: { role?: string; service?: string[] },
): Promise<number> {
  if (verb === "list") {
    const rows = deps.repos.users
      .list()
      .map((u) => [
        String(u.id),
        u.email,
        u.role,
        u.disabled ? "disabled" : "active",
        u.services ? u.services.join(",") : "*",
      ]);
    for (const line of table(["ID", "EMAIL", "ROLE", "STATE", "SERVICES"], rows)) io.out(line);
    return 0;
  }
  if (verb === "add") {
    const email = args[0];
    if (!email || !opts.role) {
      io.err("berth: usage: berth user add <email> --role <owner|admin|deployer|viewer>");
      return 2;
    }
    const password = await io.password(`Password for ${email}: `, { confirm: true });
    const user = await createUser(deps, {
      email,
      password,
      role: opts.role,
      services: opts.service ?? null,
    });
    io.out(`Created ${user.role} ${user.email} (id ${user.id}).`);
    return 0;
  }
  io.err(`berth: unknown user command "${verb ?? ""}" (add, list)`);
  return 2;
}
