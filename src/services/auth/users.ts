import { writeTx } from "../../db/client.ts";
import type { User } from "../../domain/auth/auth-types.ts";
import { ROLES, type Role } from "../../domain/auth/permissions.ts";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import { assertName } from "../../domain/names.ts";
import type { AuthDeps } from "./deps.ts";
import { assertPassword, hashPassword } from "./passwords.ts";

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$|^[^\s@]{1,64}@localhost$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function assertEmail(email: string): string {
  const e = normalizeEmail(email);
  if (!EMAIL.test(e))
    throw unprocessable("invalid_email", `"${email}" is not an email address.`, "email");
  return e;
}

function assertRole(role: string): Role {
  if (!ROLES.includes(role as Role)) {
    throw unprocessable("invalid_role", `Role must be one of ${ROLES.join(", ")}.`, "role");
  }
  return role as Role;
}

function assertServices(services: string[] | null | undefined): string[] | null {
  if (!services || services.length === 0) return null;
  for (const s of services) assertName("service", s);
  return [...new Set(services)];
}

export function getUser(deps: AuthDeps, id: number): User {
  const user = deps.repos.users.byId(id);
  if (!user) throw notFound("user_not_found", `There is no user ${id}.`);
  return user;
}

export async function createUser(
  deps: AuthDeps,
  input: { email: string; password: string; role: string; services?: string[] | null },
): Promise<User> {
  const email = assertEmail(input.email);
  const role = assertRole(input.role);
  const services = assertServices(input.services);
  assertPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  return writeTx(deps.db, (tx) => {
    if (deps.repos.users.byEmail(email))
      throw conflict("user_exists", `A user ${email} already exists.`);
    return deps.repos.users.insert(tx, { email, passwordHash, role, services });
  });
}

/** Refuses a change that would leave Berth without an active owner. */
function keepAnOwner(
  deps: AuthDeps,
  user: User,
  after: { role: Role; disabled: boolean } | null,
): void {
  const stillOwner = after !== null && after.role === "owner" && !after.disabled;
  if (
    user.role === "owner" &&
    !user.disabled &&
    !stillOwner &&
    deps.repos.users.countActiveOwners() <= 1
  ) {
    throw conflict(
      "last_owner",
      "Berth needs at least one active owner; make another owner first.",
    );
  }
}

export function updateUser(
  deps: AuthDeps,
  id: number,
  patch: { role?: string; disabled?: boolean; services?: string[] | null },
): User {
  const user = getUser(deps, id);
  const role = patch.role === undefined ? user.role : assertRole(patch.role);
  const disabled = patch.disabled ?? user.disabled;
  const services = patch.services === undefined ? user.services : assertServices(patch.services);
  keepAnOwner(deps, user, { role, disabled });
  writeTx(deps.db, (tx) => {
    deps.repos.users.update(tx, id, { role, disabled, services });
    // a disabled user is signed out everywhere at once
    if (disabled) deps.repos.users.deleteSessionsOf(tx, id);
  });
  return { ...user, role, disabled, services };
}

export function deleteUser(deps: AuthDeps, id: number): void {
  const user = getUser(deps, id);
  keepAnOwner(deps, user, null);
  writeTx(deps.db, (tx) => deps.repos.users.delete(tx, id));
}

/** Sets a new password and ends every other session of the user. */
export async function changePassword(
  deps: AuthDeps,
  id: number,
  password: string,
  keepSessionId?: string,
): Promise<void> {
  getUser(deps, id);
  assertPassword(password);
  const passwordHash = await hashPassword(password);
  writeTx(deps.db, (tx) => {
    deps.repos.users.update(tx, id, { passwordHash });
    deps.repos.users.deleteSessionsOf(tx, id, keepSessionId);
  });
}
