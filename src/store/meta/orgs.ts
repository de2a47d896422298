import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { isReservedNamespace } from "../../oci";
import { all, changes, one, oneLocked, type Program, type Runner, type Scope } from "../dialect/program";

type ClaimOutcome = { kind: "created" | "converted" | "org" | "user"; namespaceId: number };

/** Adds the org's `owners` team (role admin) unless it has one. */
function* addOwnersTeam({ db, t }: Scope, namespaceId: number): Program<void> {
  yield* changes(db.insert(t.teams).values({ namespaceId, name: "owners", role: "admin" }).onConflictDoNothing());
}

/** Organizations (namespaces of kind "org") and their owners; their teams are TeamStore's. */
export class OrgStore {
  constructor(private readonly q: Runner) {}

  /**
   * Creates the org with its `owners` team (role admin) holding the owner. A reserved name
   * (`library`) is taken, whether or not its namespace exists yet: see claimReserved.
   */
  async create(name: string, ownerUserId: number): Promise<{ kind: "ok"; namespaceId: number } | { kind: "nameTaken" }> {
    if (isReservedNamespace(name)) return { kind: "nameTaken" };
    return this.q.transaction(function* (scope): Program<{ kind: "ok"; namespaceId: number } | { kind: "nameTaken" }> {
      const { db, t } = scope;
      // Nothing inserted: the name is taken (two creates at once on PostgreSQL: the second waits, then skips).
      const [ns] = yield* all(db.insert(t.namespaces).values({ name, kind: "org" }).onConflictDoNothing().returning({ id: t.namespaces.id }));
      if (!ns) return { kind: "nameTaken" };
      const [team] = yield* all(db.insert(t.teams).values({ namespaceId: ns.id, name: "owners", role: "admin" }).returning({ id: t.teams.id }));
      yield* changes(db.insert(t.teamMembers).values({ teamId: team!.id, userId: ownerUserId }));
      return { kind: "ok", namespaceId: ns.id };
    });
  }

  /**
   * Makes a reserved name an organization with an `owners` team (its people: setOwners). Made
   * when missing; converted when an ownerless namespace holds it (open mode's pushes make
   * those); an organization is kept; a user's namespace is reported and left alone.
   */
  claimReserved(name: string): Promise<ClaimOutcome> {
    return this.q.transaction(
      function* (scope): Program<ClaimOutcome> {
        const { db, t } = scope;
        const [made] = yield* all(db.insert(t.namespaces).values({ name, kind: "org" }).onConflictDoNothing().returning({ id: t.namespaces.id }));
        if (made) {
          yield* addOwnersTeam(scope, made.id);
          return { kind: "created", namespaceId: made.id };
        }
        // The namespace's row, locked: two claims at once on PostgreSQL convert it once.
        const found = (yield* oneLocked(db.select({ id: t.namespaces.id, kind: t.namespaces.kind }).from(t.namespaces).where(eq(t.namespaces.name, name))))!;
        const person = found.kind === "user" && (yield* one(db.select({ id: t.users.id }).from(t.users).where(eq(t.users.username, name))));
        if (found.kind === "org" || person) return { kind: found.kind, namespaceId: found.id };
        yield* changes(db.update(t.namespaces).set({ kind: "org" }).where(eq(t.namespaces.id, found.id)));
        yield* addOwnersTeam(scope, found.id);
        return { kind: "converted", namespaceId: found.id };
      },
      { immediate: true },
    );
  }

  /**
   * Sets the people of the org's `owners` team (made if missing) to exactly `userIds`; robots
   * in it stay. Answers the names added and removed.
   */
  setOwners(namespaceId: number, userIds: number[]): Promise<{ added: string[]; removed: string[] }> {
    return this.q.transaction(
      function* (scope) {
        const { db, t } = scope;
        const m = t.teamMembers;
        yield* addOwnersTeam(scope, namespaceId);
        // Locked: of two calls at once on PostgreSQL, the second reads the members the first left.
        const team = (yield* oneLocked(db.select({ id: t.teams.id }).from(t.teams).where(and(eq(t.teams.namespaceId, namespaceId), eq(t.teams.name, "owners")))))!;
        // An owners team demoted through the API is an owners team again.
        yield* changes(db.update(t.teams).set({ role: "admin" }).where(eq(t.teams.id, team.id)));
        const current = yield* all(
          db.select({ id: t.users.id, name: t.users.username }).from(m).innerJoin(t.users, eq(t.users.id, m.userId)).where(eq(m.teamId, team.id)).orderBy(asc(t.users.username)),
        );
        const wanted = new Set(userIds);
        const removed = current.filter((u) => !wanted.has(u.id));
        if (removed.length) yield* changes(db.delete(m).where(and(eq(m.teamId, team.id), inArray(m.userId, removed.map((u) => u.id)))));
        const have = new Set(current.map((u) => u.id));
        const addedIds = userIds.filter((id) => !have.has(id));
        for (const userId of addedIds) yield* changes(db.insert(m).values({ teamId: team.id, userId }).onConflictDoNothing());
        const added = addedIds.length
          ? (yield* all(db.select({ name: t.users.username }).from(t.users).where(inArray(t.users.id, addedIds)).orderBy(asc(t.users.username)))).map((r) => r.name)
          : [];
        return { added, removed: removed.map((u) => u.name) };
      },
      { immediate: true },
    );
  }

  namespace(name: string): Promise<{ id: number; kind: "user" | "org" } | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select({ id: t.namespaces.id, kind: t.namespaces.kind }).from(t.namespaces).where(eq(t.namespaces.name, name)));
    });
  }

  /** Organizations in id order (the last id of a page is a stable cursor). */
  list(opts: { afterId?: number; limit?: number } = {}): Promise<{ id: number; name: string; email: string | null }[]> {
    return this.q.run(function* ({ db, t }) {
      const n = t.namespaces;
      const q = db
        .select({ id: n.id, name: n.name, email: n.email })
        .from(n)
        .where(and(eq(n.kind, "org"), opts.afterId !== undefined ? gt(n.id, opts.afterId) : undefined))
        .orderBy(asc(n.id));
      return yield* all(opts.limit !== undefined ? q.limit(opts.limit) : q);
    });
  }

  /** An organization's row (undefined for users' namespaces and unknown names). */
  org(name: string): Promise<{ id: number; name: string; email: string | null } | undefined> {
    return this.q.run(function* ({ db, t }) {
      const n = t.namespaces;
      return yield* one(db.select({ id: n.id, name: n.name, email: n.email }).from(n).where(and(eq(n.name, name), eq(n.kind, "org"))));
    });
  }
}
