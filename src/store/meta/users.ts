import { and, asc, eq, gt, ne, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { namespaces, users } from "../schema";
import { startsWith } from "./prefixSearch";
import { isReservedNamespace } from "../../oci";

export interface UserRow {
  id: number;
  username: string;
  email: string | null;
  passwordHash: string | null;
  enabled: boolean;
  superuser: boolean;
  uuid: string;
}

const userColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  passwordHash: users.passwordHash,
  enabled: users.enabled,
  superuser: users.superuser,
  uuid: users.uuid,
};

export type CreateUserOutcome = { kind: "ok"; user: UserRow } | { kind: "nameTaken" } | { kind: "emailTaken" };

/** What a superuser may change on an account; absent fields stay as they are. */
export interface AccountChanges {
  passwordHash?: string;
  email?: string;
  enabled?: boolean;
  superuser?: boolean;
}

/** People, each with a namespace of the same name. */
export class UserStore {
  // Bearer and cached-credential checks read the user by id on every call: prepared once
  // (the query builder costs ~25 µs a call, the prepared statement a fraction of that).
  private readonly byIdStatement;

  constructor(private readonly db: MetaDb) {
    this.byIdStatement = db.select(userColumns).from(users).where(eq(users.id, sql.placeholder("id"))).prepare();
  }

  /** A reserved name (`library`) is taken, whether or not its namespace exists yet. */
  create(username: string, email: string | null, passwordHash: string | null, superuser = false): CreateUserOutcome {
    if (isReservedNamespace(username)) return { kind: "nameTaken" };
    return this.db.transaction((tx): CreateUserOutcome => {
      if (tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, username)).get())
        return { kind: "nameTaken" };
      if (email && tx.select({ id: users.id }).from(users).where(eq(users.email, email)).get())
        return { kind: "emailTaken" };
      tx.insert(namespaces).values({ name: username, kind: "user" }).run();
      const user = tx
        .insert(users)
        .values({ username, email, passwordHash, superuser, uuid: crypto.randomUUID() })
        .returning(userColumns)
        .get();
      return { kind: "ok", user };
    });
  }

  byName(username: string): UserRow | undefined {
    return this.db.select(userColumns).from(users).where(eq(users.username, username)).get();
  }

  byEmail(email: string): UserRow | undefined {
    return this.db.select(userColumns).from(users).where(eq(users.email, email)).get();
  }

  byUuid(uuid: string): UserRow | undefined {
    return this.db.select(userColumns).from(users).where(eq(users.uuid, uuid)).get();
  }

  byId(id: number): UserRow | undefined {
    return this.byIdStatement.get({ id });
  }

  setPassword(id: number, passwordHash: string): void {
    this.db.update(users).set({ passwordHash }).where(eq(users.id, id)).run();
  }

  setEnabled(id: number, enabled: boolean): void {
    this.db.update(users).set({ enabled }).where(eq(users.id, id)).run();
  }

  /** Ends every session of the user (sessions carry the uuid they were made with). */
  rotateUuid(id: number): void {
    this.db.update(users).set({ uuid: crypto.randomUUID() }).where(eq(users.id, id)).run();
  }

  /** A new address, unless another user has it. */
  setEmail(id: number, email: string | null): "ok" | "emailTaken" {
    return this.db.transaction((tx) => {
      const other = email ? tx.select({ id: users.id }).from(users).where(eq(users.email, email)).get() : undefined;
      if (other && other.id !== id) return "emailTaken" as const;
      tx.update(users).set({ email }).where(eq(users.id, id)).run();
      return "ok" as const;
    });
  }

  /** Quay's free-form profile fields (given_name, family_name, company, location). */
  profile(id: number): Record<string, unknown> {
    const row = this.db.select({ profile: users.profile }).from(users).where(eq(users.id, id)).get();
    return row?.profile ? (JSON.parse(row.profile) as Record<string, unknown>) : {};
  }

  setProfile(id: number, profile: Record<string, unknown>): void {
    this.db.update(users).set({ profile: JSON.stringify(profile) }).where(eq(users.id, id)).run();
  }

  /** Whether any account exists (user initialize works only on an empty registry). */
  any(): boolean {
    return this.db.select({ id: users.id }).from(users).limit(1).get() !== undefined;
  }

  /** Accounts with the superuser flag (`--superuser`, the superuser panel); the config list adds more. */
  flaggedSuperusers(): UserRow[] {
    return this.db.select(userColumns).from(users).where(eq(users.superuser, true)).orderBy(asc(users.id)).all();
  }

  hasSuperuser(): boolean {
    return this.db.select({ id: users.id }).from(users).where(eq(users.superuser, true)).get() !== undefined;
  }

  /** People in id order (ids only grow, so the last id of a page is a stable cursor). */
  list(opts: { enabledOnly?: boolean; afterId?: number; limit?: number } = {}): UserRow[] {
    const where = and(
      opts.enabledOnly ? eq(users.enabled, true) : undefined,
      opts.afterId !== undefined ? gt(users.id, opts.afterId) : undefined,
    );
    const q = this.db.select(userColumns).from(users).where(where).orderBy(asc(users.id));
    return (opts.limit !== undefined ? q.limit(opts.limit) : q).all();
  }

  /** People whose name starts with `prefix`, by name (the entity typeahead). */
  matching(prefix: string, limit: number): UserRow[] {
    return this.db.select(userColumns).from(users).where(startsWith(users.username, prefix)).orderBy(asc(users.username)).limit(limit).all();
  }

  /**
   * Applies the changes in one transaction. A new password or disabling also rotates the uuid,
   * so every session of the account ends with it.
   */
  update(id: number, changes: AccountChanges): { kind: "ok" } | { kind: "emailTaken" } {
    return this.db.transaction((tx) => {
      if (changes.email !== undefined) {
        const other = tx.select({ id: users.id }).from(users).where(and(eq(users.email, changes.email), ne(users.id, id))).get();
        if (other) return { kind: "emailTaken" as const };
      }
      const endSessions = changes.passwordHash !== undefined || changes.enabled === false;
      const values = { ...changes, ...(endSessions ? { uuid: crypto.randomUUID() } : {}) };
      if (Object.keys(values).length > 0) tx.update(users).set(values).where(eq(users.id, id)).run();
      return { kind: "ok" as const };
    });
  }

  /**
   * Deletes the person; app and OAuth tokens, grants and team memberships go with the row
   * (cascade). The namespace of the same name is removed through RepositoryStore.deleteNamespace.
   */
  delete(id: number): void {
    this.db.delete(users).where(eq(users.id, id)).run();
  }
}
