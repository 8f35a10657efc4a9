import type { User } from "../../domain/auth/auth-types.ts";
import { conflict, DomainError } from "../../domain/errors.ts";
import type { AuthDeps } from "./deps.ts";
import { generateToken, hashToken, sameHash } from "./tokens.ts";
import { createUser } from "./users.ts";

/**
 * The first-run link: while Berth has no user, a one-time token (kept only as a hash, in
 * memory) lets whoever holds the link create the first owner.
 */
export function createSetup(deps: AuthDeps) {
  let tokenHash: string | null = null;
  return {
    needed(): boolean {
      return deps.repos.users.count() === 0;
    },
    /** A fresh token when setup is needed (logged at start), else null. */
    issue(): string | null {
      if (!this.needed()) return null;
      const token = generateToken();
      tokenHash = hashToken(token);
      return token;
    },
    check(token: string | undefined): boolean {
      return Boolean(token && tokenHash && this.needed() && sameHash(hashToken(token), tokenHash));
    },
    async complete(
      token: string | undefined,
      input: { email: string; password: string },
    ): Promise<User> {
      if (!this.needed()) throw conflict("setup_done", "Berth is already set up; sign in instead.");
      if (!this.check(token)) {
        throw new DomainError(
          "forbidden",
          "invalid_setup_token",
          "This setup link is not valid; use the one Berth logged at start.",
        );
      }
      const user = await createUser(deps, { ...input, role: "owner" });
      tokenHash = null;
      return user;
    },
  };
}

export type Setup = ReturnType<typeof createSetup>;
