import { and, asc, count, eq, gt, lt, ne } from "drizzle-orm";
import type { ApiKey, Session, User } from "../../domain/auth/auth-types.ts";
import type { Role } from "../../domain/auth/permissions.ts";
import type { Db } from "../client.ts";
import { apiKeys, loginFailures, sessions, users } from "../schema/index.ts";

export function createUsersRepo(db: Db) {
  return {
    count(): number {
      return db.select({ n: count() }).from(users).get()?.n ?? 0;
    },
    list(page?: { after?: string; limit: number }): User[] {
      const q = db
        .select()
        .from(users)
        .where(page?.after ? gt(users.email, page.after) : undefined)
        .orderBy(asc(users.email));
      return page ? q.limit(page.limit).all() : q.all();
    },
    byEmail(email: string): User | undefined {
      return db.select().from(users).where(eq(users.email, email)).get();
    },
    byId(id: number): User | undefined {
      return db.select().from(users).where(eq(users.id, id)).get();
    },
    insert(
      tx: Db,
      u: { email: string; passwordHash: string; role: Role; services: string[] | null },
    ): User {
      return tx.insert(users).values(u).returning().get();
    },
    update(
      tx: Db,
      id: number,
      patch: Partial<Pick<User, "passwordHash" | "role" | "services" | "disabled">>,
    ): void {
      tx.update(users).set(patch).where(eq(users.id, id)).run();
    },
    delete(tx: Db, id: number): void {
      tx.delete(users).where(eq(users.id, id)).run();
    },
    countActiveOwners(): number {
      return (
        db
          .select({ n: count() })
          .from(users)
          .where(and(eq(users.role, "owner"), eq(users.disabled, false)))
          .get()?.n ?? 0
      );
    },

    insertSession(tx: Db, s: Session): void {
      tx.insert(sessions).values(s).run();
    },
    session(id: string): Session | undefined {
      return db.select().from(sessions).where(eq(sessions.id, id)).get();
    },
    extendSession(id: string, expiresAt: number): void {
      db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id)).run();
    },
    deleteSession(tx: Db, id: string): void {
      tx.delete(sessions).where(eq(sessions.id, id)).run();
    },
    /** Ends every session of a user, or every one but `keep`. */
    deleteSessionsOf(tx: Db, userId: number, keep?: string): void {
      tx.delete(sessions)
        .where(
          keep
            ? and(eq(sessions.userId, userId), ne(sessions.id, keep))
            : eq(sessions.userId, userId),
        )
        .run();
    },
    deleteExpiredSessions(now: number): void {
      db.delete(sessions).where(lt(sessions.expiresAt, now)).run();
    },

    insertKey(tx: Db, k: Omit<ApiKey, "id" | "createdAt" | "lastUsedAt" | "revokedAt">): ApiKey {
      return tx.insert(apiKeys).values(k).returning().get();
    },
    keyByHash(hash: string): ApiKey | undefined {
      return db.select().from(apiKeys).where(eq(apiKeys.hash, hash)).get();
    },
    keyById(id: number): ApiKey | undefined {
      return db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    },
    keys(userId?: number, page?: { after?: number; limit: number }): ApiKey[] {
      const q = db
        .select()
        .from(apiKeys)
        .where(
          and(
            userId === undefined ? undefined : eq(apiKeys.userId, userId),
            page?.after === undefined ? undefined : gt(apiKeys.id, page.after),
          ),
        )
        .orderBy(asc(apiKeys.id));
      return page ? q.limit(page.limit).all() : q.all();
    },
    touchKey(id: number, at: number): void {
      db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run();
    },
    revokeKey(tx: Db, id: number, at: number): void {
      tx.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)).run();
    },

    addLoginFailure(email: string, ip: string, at: number): void {
      db.insert(loginFailures).values({ email, ip, at }).run();
    },
    loginFailuresSince(
      by: { email?: string; ip?: string },
      since: number,
    ): { n: number; last: number } {
      const where = and(
        gt(loginFailures.at, since),
        by.email === undefined ? undefined : eq(loginFailures.email, by.email),
        by.ip === undefined ? undefined : eq(loginFailures.ip, by.ip),
      );
      const rows = db.select({ at: loginFailures.at }).from(loginFailures).where(where).all();
      return { n: rows.length, last: rows.reduce((m, r) => Math.max(m, r.at), 0) };
    },
    /** A success clears its own (account, address) pair: others' failures still count. */
    clearLoginFailures(email: string, ip: string): void {
      db.delete(loginFailures)
        .where(and(eq(loginFailures.email, email), eq(loginFailures.ip, ip)))
        .run();
    },
    pruneLoginFailures(before: number): void {
      db.delete(loginFailures).where(lt(loginFailures.at, before)).run();
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
