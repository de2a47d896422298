import { and, asc, count, eq, inArray, isNull, notInArray } from "drizzle-orm";
import { all, changes, one, type Program, type Runner, type Tables } from "../dialect/program";
import { inScope, lockNamespace, type PolicyScope } from "./policyScope";
import { notExpired } from "./tagPeriods";

export type { PolicyScope };

/** A policy as the API shows it (`value` a tag count or a duration string, by method). */
export interface AutoPruneRow {
  method: "number_of_tags" | "creation_date";
  value: number | string;
  tagPattern: string | null;
  tagPatternMatches: boolean;
}

export interface StoredAutoPrunePolicy {
  uuid: string;
  /** Null for the namespace's own policies. */
  repositoryId: number | null;
  config: AutoPruneRow;
}

const columns = ({ autoPrunePolicies: p }: Tables) => ({
  uuid: p.uuid,
  repositoryId: p.repositoryId,
  method: p.method,
  value: p.value,
  tagPattern: p.tagPattern,
  tagPatternMatches: p.tagPatternMatches,
});

interface Row {
  uuid: string;
  repositoryId: number | null;
  method: AutoPruneRow["method"];
  value: string;
  tagPattern: string | null;
  tagPatternMatches: boolean;
}

const stored = (r: Row): StoredAutoPrunePolicy => ({
  uuid: r.uuid,
  repositoryId: r.repositoryId,
  config: { method: r.method, value: r.method === "number_of_tags" ? Number(r.value) : r.value, tagPattern: r.tagPattern, tagPatternMatches: r.tagPatternMatches },
});

const fields = (c: AutoPruneRow) => ({ method: c.method, value: String(c.value), tagPattern: c.tagPattern, tagPatternMatches: c.tagPatternMatches });

/** A live tag as auto-prune reads it. */
export interface PrunableTag {
  id: number;
  name: string;
  startMs: number;
  immutable: boolean;
}

/**
 * Auto-prune policies of namespaces and repositories (Quay's data/model/autoprune.py), and what
 * the auto-prune pass reads: which namespaces have policies, their repositories, their live tags.
 */
type CreateOutcome = { kind: "ok"; uuid: string } | { kind: "duplicate" } | { kind: "tooMany" };

export class AutoPrunePolicyStore {
  constructor(private readonly q: Runner) {}

  /** The scope's policies, oldest first. */
  list(scope: PolicyScope): Promise<StoredAutoPrunePolicy[]> {
    return this.q.run(function* ({ db, t }) {
      const p = t.autoPrunePolicies;
      return (yield* all(db.select(columns(t)).from(p).where(inScope(p, scope)).orderBy(asc(p.id)))).map(stored);
    });
  }

  get(scope: PolicyScope, uuid: string): Promise<StoredAutoPrunePolicy | undefined> {
    return this.q.run(function* ({ db, t }) {
      const p = t.autoPrunePolicies;
      const row = yield* one(db.select(columns(t)).from(p).where(and(inScope(p, scope), eq(p.uuid, uuid))));
      return row && stored(row);
    });
  }

  /** Adds a policy unless the scope has one with the same values (Quay refuses duplicates) or already `max`. */
  create(scope: PolicyScope, config: AutoPruneRow, max: number): Promise<CreateOutcome> {
    return this.q.transaction(function* (s): Program<CreateOutcome> {
      const { db, t, sql } = s;
      const p = t.autoPrunePolicies;
      const f = fields(config);
      yield* lockNamespace(s, scope.namespaceId);
      const held = (yield* one(db.select({ n: count() }).from(p).where(inScope(p, scope))))!.n;
      if (held >= max) return { kind: "tooMany" };
      const same = yield* one(
        db
          .select({ id: p.id })
          .from(p)
          .where(
            and(
              inScope(p, scope),
              eq(p.method, f.method),
              eq(p.value, f.value),
              sql.isSame(p.tagPattern, f.tagPattern),
              eq(p.tagPatternMatches, f.tagPatternMatches),
            ),
          )
          .limit(1),
      );
      if (same) return { kind: "duplicate" };
      const uuid = crypto.randomUUID();
      yield* changes(db.insert(p).values({ ...f, uuid, namespaceId: scope.namespaceId, repositoryId: scope.repositoryId }));
      return { kind: "ok", uuid };
    });
  }

  /** Replaces the policy's values; false when the scope has no policy with this uuid. */
  update(scope: PolicyScope, uuid: string, config: AutoPruneRow): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const p = t.autoPrunePolicies;
      return (yield* changes(db.update(p).set(fields(config)).where(and(inScope(p, scope), eq(p.uuid, uuid))))) > 0;
    });
  }

  delete(scope: PolicyScope, uuid: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const p = t.autoPrunePolicies;
      return (yield* changes(db.delete(p).where(and(inScope(p, scope), eq(p.uuid, uuid))))) > 0;
    });
  }

  /** Namespaces with at least one policy (their own or a repository's), but not those of disabled users. */
  namespacesWithPolicies(): Promise<{ id: number; name: string }[]> {
    return this.q.run(function* ({ db, t }) {
      const disabled = db.select({ name: t.users.username }).from(t.users).where(eq(t.users.enabled, false));
      const withPolicies = db.selectDistinct({ id: t.autoPrunePolicies.namespaceId }).from(t.autoPrunePolicies);
      return yield* all(
        db
          .select({ id: t.namespaces.id, name: t.namespaces.name })
          .from(t.namespaces)
          .where(and(inArray(t.namespaces.id, withPolicies), notInArray(t.namespaces.name, disabled)))
          .orderBy(asc(t.namespaces.id)),
      );
    });
  }

  /** Every policy of the namespace, its own and its repositories'. */
  policiesIn(namespaceId: number): Promise<StoredAutoPrunePolicy[]> {
    return this.q.run(function* ({ db, t }) {
      const p = t.autoPrunePolicies;
      return (yield* all(db.select(columns(t)).from(p).where(eq(p.namespaceId, namespaceId)).orderBy(asc(p.id)))).map(stored);
    });
  }

  /** The namespace's repositories whose tags may change (state NORMAL), by name. */
  repositoriesIn(namespaceId: number): Promise<{ id: number; name: string }[]> {
    return this.q.run(function* ({ db, t }) {
      const r = t.repositories;
      return yield* all(
        db
          .select({ id: r.id, name: r.fullName })
          .from(r)
          .where(and(eq(r.namespaceId, namespaceId), eq(r.state, "NORMAL")))
          .orderBy(asc(r.fullName)),
      );
    });
  }

  /** The repository's live tags at `now` (not ended, not expired), oldest row first. */
  liveTags(repositoryId: number, now: number): Promise<PrunableTag[]> {
    return this.q.run(function* ({ db, t }) {
      const g = t.tags;
      return yield* all(
        db
          .select({ id: g.id, name: g.name, startMs: g.startMs, immutable: g.immutable })
          .from(g)
          .where(and(eq(g.repositoryId, repositoryId), isNull(g.endMs), notExpired(now, g)))
          .orderBy(asc(g.id)),
      );
    });
  }
}
