import { and, asc, eq, gt, sql } from "drizzle-orm";
import { all, attempt, changes, one, type Program, type Runner, type Tables } from "../dialect/program";
import { constraintViolated } from "../dialect/errors";
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

const userColumns = ({ users }: Tables) => ({
  id: users.id,
  username: users.username,
  email: users.email,
  passwordHash: users.passwordHash,
  enabled: users.enabled,
  superuser: users.superuser,
  uuid: users.uuid,
});

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

  constructor(private readonly q: Runner) {
    this.byIdStatement = q.statement(({ db, t }) => db.select(userColumns(t)).from(t.users).where(eq(t.users.id, sql.placeholder("id"))));
  }

  /** A reserved name (`library`) is taken, whether or not its namespace exists yet. */
  create(username: string, email: string | null, passwordHash: string | null, superuser = false): Promise<CreateUserOutcome> {
    if (isReservedNamespace(username)) return Promise.resolve({ kind: "nameTaken" });
    return this.q.run(function* ({ db, t }): Program<CreateUserOutcome> {
      // Namespace and user together or neither. Their unique constraints are the guard: of two
      // creates at once on PostgreSQL both would pass a read first, and the second insert fails
      // (after waiting for the first to commit).
      try {
        const user = yield* attempt(function* ({ db }) {
          yield* changes(db.insert(t.namespaces).values({ name: username, kind: "user" }));
          const [row] = yield* all(db.insert(t.users).values({ username, email, passwordHash, superuser, uuid: crypto.randomUUID() }).returning(userColumns(t)));
          return row!;
        });
        return { kind: "ok", user };
      } catch (e) {
        if (constraintViolated(e) !== "unique") throw e;
      }
      // Which one: a taken name is answered first, as before any address is looked at.
      const nameHolder = yield* one(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.name, username)));
      const emailHolder = !nameHolder && email !== null ? yield* one(db.select({ id: t.users.id }).from(t.users).where(eq(t.users.email, email))) : undefined;
      return emailHolder ? { kind: "emailTaken" } : { kind: "nameTaken" };
    });
  }

  byName(username: string): Promise<UserRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(userColumns(t)).from(t.users).where(eq(t.users.username, username)));
    });
  }

  byEmail(email: string): Promise<UserRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(userColumns(t)).from(t.users).where(eq(t.users.email, email)));
    });
  }

  byUuid(uuid: string): Promise<UserRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(userColumns(t)).from(t.users).where(eq(t.users.uuid, uuid)));
    });
  }

  byId(id: number): Promise<UserRow | undefined> {
    const statement = this.byIdStatement;
    return this.q.run(function* () {
      return yield* one(statement, { id });
    });
  }

  async setPassword(id: number, passwordHash: string): Promise<void> {
    await this.set(id, { passwordHash });
  }

  /**
   * The same password hashed with newer parameters (at login): written only while the row still
   * holds the hash that was checked, so a password changed meanwhile is never overwritten with
   * the old one. Sessions go on (the password itself did not change). False when it had changed.
   */
  replacePasswordHash(id: number, checked: string, rehashed: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const n = yield* changes(db.update(t.users).set({ passwordHash: rehashed }).where(and(eq(t.users.id, id), eq(t.users.passwordHash, checked))));
      return n === 1;
    });
  }

  async setEnabled(id: number, enabled: boolean): Promise<void> {
    await this.set(id, { enabled });
  }

  /** Ends every session of the user (sessions carry the uuid they were made with). */
  async rotateUuid(id: number): Promise<void> {
    await this.set(id, { uuid: crypto.randomUUID() });
  }

  /** A new address, unless another user has it. */
  async setEmail(id: number, email: string | null): Promise<"ok" | "emailTaken"> {
    return (await this.set(id, { email })) ? "ok" : "emailTaken";
  }

  /** Quay's free-form profile fields (given_name, family_name, company, location). */
  profile(id: number): Promise<Record<string, unknown>> {
    return this.q.run(function* ({ db, t }) {
      const row = yield* one(db.select({ profile: t.users.profile }).from(t.users).where(eq(t.users.id, id)));
      return row?.profile ? (JSON.parse(row.profile) as Record<string, unknown>) : {};
    });
  }

  async setProfile(id: number, profile: Record<string, unknown>): Promise<void> {
    await this.set(id, { profile: JSON.stringify(profile) });
  }

  /** Whether any account exists (user initialize works only on an empty registry). */
  any(): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      return (yield* one(db.select({ id: t.users.id }).from(t.users).limit(1))) !== undefined;
    });
  }

  /** Accounts with the superuser flag (`--superuser`, the superuser panel); the config list adds more. */
  flaggedSuperusers(): Promise<UserRow[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(db.select(userColumns(t)).from(t.users).where(eq(t.users.superuser, true)).orderBy(asc(t.users.id)));
    });
  }

  hasSuperuser(): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      return (yield* one(db.select({ id: t.users.id }).from(t.users).where(eq(t.users.superuser, true)).limit(1))) !== undefined;
    });
  }

  /** People in id order (ids only grow, so the last id of a page is a stable cursor). */
  list(opts: { enabledOnly?: boolean; afterId?: number; limit?: number } = {}): Promise<UserRow[]> {
    return this.q.run(function* ({ db, t }) {
      const where = and(
        opts.enabledOnly ? eq(t.users.enabled, true) : undefined,
        opts.afterId !== undefined ? gt(t.users.id, opts.afterId) : undefined,
      );
      const q = db.select(userColumns(t)).from(t.users).where(where).orderBy(asc(t.users.id));
      return yield* all(opts.limit !== undefined ? q.limit(opts.limit) : q);
    });
  }

  /** People whose name starts with `prefix`, by name (the entity typeahead). */
  matching(prefix: string, limit: number): Promise<UserRow[]> {
    return this.q.run(function* ({ db, t, sql }) {
      return yield* all(db.select(userColumns(t)).from(t.users).where(startsWith(sql, t.users.username, prefix)).orderBy(asc(t.users.username)).limit(limit));
    });
  }

  /**
   * Applies the changes in one statement. A new password or disabling also rotates the uuid,
   * so every session of the account ends with it.
   */
  async update(id: number, changes: AccountChanges): Promise<{ kind: "ok" } | { kind: "emailTaken" }> {
    const endSessions = changes.passwordHash !== undefined || changes.enabled === false;
    const values = { ...changes, ...(endSessions ? { uuid: crypto.randomUUID() } : {}) };
    if (Object.keys(values).length === 0) return { kind: "ok" };
    return (await this.set(id, values)) ? { kind: "ok" } : { kind: "emailTaken" };
  }

  /**
   * Deletes the person; app and OAuth tokens, grants and team memberships go with the row
   * (cascade). The namespace of the same name is removed through RepositoryStore.deleteNamespace.
   */
  async delete(id: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.delete(t.users).where(eq(t.users.id, id)));
    });
  }

  /** Writes columns of the user's row; false when the new email is another user's (the only unique column a caller sets). */
  private set(id: number, values: Partial<Tables["users"]["$inferInsert"]>): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      // The constraint is the guard (see create); one statement, so no transaction to keep going.
      try {
        yield* changes(db.update(t.users).set(values).where(eq(t.users.id, id)));
        return true;
      } catch (e) {
        if (constraintViolated(e) === "unique") return false;
        throw e;
      }
    });
  }
}
