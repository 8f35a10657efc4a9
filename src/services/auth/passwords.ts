import argon2 from "argon2";
import { unprocessable } from "../../domain/errors.ts";
import { COMMON_PASSWORDS } from "./common-passwords.ts";

// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane
const options = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return "is too common; choose another";
  return null;
}

export function assertPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw unprocessable("weak_password", `The password ${problem}.`, "password");
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, options);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | null = null;
/** A hash to verify against when the account does not exist, so both answers take as long. */
export function dummyHash(): Promise<string> {
  dummy ??= argon2.hash("berth-no-such-user-password", options);
  return dummy;
}
