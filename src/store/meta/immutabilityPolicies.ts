import { and, asc, count, eq, ne } from "drizzle-orm";
import { all, changes, one, type Program, type Runner, type Tables } from "../dialect/program";
import { inScope, lockNamespace, type PolicyScope } from "./policyScope";

export interface ImmutabilityRow {
  tagPattern: string;
  tagPatternMatches: boolean;
}

export interface StoredImmutabilityPolicy extends ImmutabilityRow {
  uuid: string;
}

const columns = ({ immutabilityPolicies: p }: Tables) => ({ uuid: p.uuid, tagPattern: p.tagPattern, tagPatternMatches: p.tagPatternMatches });

export type ImmutabilityWrite = { kind: "ok"; uuid: string } | { kind: "duplicate" } | { kind: "missing" } | { kind: "tooMany" };

/**
 * Immutability policies of namespaces and repositories (Quay's data/model/immutability.py). The
 * registry reads them inside its transactions (RegistryTx.immutabilityRules) when a tag starts.
 */
export class ImmutabilityPolicyStore {
  constructor(private readonly q: Runner) {}

  list(scope: PolicyScope): Promise<StoredImmutabilityPolicy[]> {
    return this.q.run(function* ({ db, t }) {
      const p = t.immutabilityPolicies;
      return yield* all(db.select(columns(t)).from(p).where(inScope(p, scope)).orderBy(asc(p.id)));
    });
  }

  get(scope: PolicyScope, uuid: string): Promise<StoredImmutabilityPolicy | undefined> {
    return this.q.run(function* ({ db, t }) {
      const p = t.immutabilityPolicies;
      return yield* one(db.select(columns(t)).from(p).where(and(inScope(p, scope), eq(p.uuid, uuid))));
    });
  }

  /** Adds a policy unless the scope has one with the same pattern (Quay's duplicate rule) or already `max`. */
  create(scope: PolicyScope, rule: ImmutabilityRow, max: number): Promise<ImmutabilityWrite> {
    return this.q.transaction(function* (s): Program<ImmutabilityWrite> {
      const { db, t } = s;
      const p = t.immutabilityPolicies;
      yield* lockNamespace(s, scope.namespaceId);
      const held = (yield* one(db.select({ n: count() }).from(p).where(inScope(p, scope))))!.n;
      if (held >= max) return { kind: "tooMany" };
      const same = yield* one(db.select({ id: p.id }).from(p).where(and(inScope(p, scope), eq(p.tagPattern, rule.tagPattern))).limit(1));
      if (same) return { kind: "duplicate" };
      const uuid = crypto.randomUUID();
      yield* changes(db.insert(p).values({ ...rule, uuid, namespaceId: scope.namespaceId, repositoryId: scope.repositoryId }));
      return { kind: "ok", uuid };
    });
  }

  /** Replaces the rule; another policy of the scope with the same pattern is a duplicate. */
  update(scope: PolicyScope, uuid: string, rule: ImmutabilityRow): Promise<ImmutabilityWrite> {
    return this.q.transaction(function* (s): Program<ImmutabilityWrite> {
      const { db, t } = s;
      const p = t.immutabilityPolicies;
      yield* lockNamespace(s, scope.namespaceId);
      const mine = and(inScope(p, scope), eq(p.uuid, uuid));
      if (!(yield* one(db.select({ id: p.id }).from(p).where(mine)))) return { kind: "missing" };
      const same = yield* one(db.select({ id: p.id }).from(p).where(and(inScope(p, scope), eq(p.tagPattern, rule.tagPattern), ne(p.uuid, uuid))).limit(1));
      if (same) return { kind: "duplicate" };
      yield* changes(db.update(p).set(rule).where(mine));
      return { kind: "ok", uuid };
    });
  }

  delete(scope: PolicyScope, uuid: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const p = t.immutabilityPolicies;
      return (yield* changes(db.delete(p).where(and(inScope(p, scope), eq(p.uuid, uuid))))) > 0;
    });
  }
}
