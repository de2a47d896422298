import { and, asc, count, eq, ne } from "drizzle-orm";
import type { MetaDb } from "../db";
import { immutabilityPolicies } from "../schema";
import { inScope, type PolicyScope } from "./policyScope";

export interface ImmutabilityRow {
  tagPattern: string;
  tagPatternMatches: boolean;
}

export interface StoredImmutabilityPolicy extends ImmutabilityRow {
  uuid: string;
}

const columns = { uuid: immutabilityPolicies.uuid, tagPattern: immutabilityPolicies.tagPattern, tagPatternMatches: immutabilityPolicies.tagPatternMatches };

export type ImmutabilityWrite = { kind: "ok"; uuid: string } | { kind: "duplicate" } | { kind: "missing" } | { kind: "tooMany" };

/**
 * Immutability policies of namespaces and repositories (Quay's data/model/immutability.py). The
 * registry reads them inside its transactions (RegistryTx.immutabilityRules) when a tag starts.
 */
export class ImmutabilityPolicyStore {
  constructor(private readonly db: MetaDb) {}

  async list(scope: PolicyScope): Promise<StoredImmutabilityPolicy[]> {
    return this.db.select(columns).from(immutabilityPolicies).where(inScope(immutabilityPolicies, scope)).orderBy(asc(immutabilityPolicies.id)).all();
  }

  async get(scope: PolicyScope, uuid: string): Promise<StoredImmutabilityPolicy | undefined> {
    return this.db.select(columns).from(immutabilityPolicies).where(and(inScope(immutabilityPolicies, scope), eq(immutabilityPolicies.uuid, uuid))).get();
  }

  /** Adds a policy unless the scope has one with the same pattern (Quay's duplicate rule) or already `max`. */
  async create(scope: PolicyScope, rule: ImmutabilityRow, max: number): Promise<ImmutabilityWrite> {
    return this.db.transaction((tx) => {
      const held = tx.select({ n: count() }).from(immutabilityPolicies).where(inScope(immutabilityPolicies, scope)).get()!.n;
      if (held >= max) return { kind: "tooMany" as const };
      const same = tx.select({ id: immutabilityPolicies.id }).from(immutabilityPolicies).where(and(inScope(immutabilityPolicies, scope), eq(immutabilityPolicies.tagPattern, rule.tagPattern))).get();
      if (same) return { kind: "duplicate" as const };
      const uuid = crypto.randomUUID();
      tx.insert(immutabilityPolicies).values({ ...rule, uuid, namespaceId: scope.namespaceId, repositoryId: scope.repositoryId }).run();
      return { kind: "ok" as const, uuid };
    });
  }

  /** Replaces the rule; another policy of the scope with the same pattern is a duplicate. */
  async update(scope: PolicyScope, uuid: string, rule: ImmutabilityRow): Promise<ImmutabilityWrite> {
    return this.db.transaction((tx) => {
      const mine = and(inScope(immutabilityPolicies, scope), eq(immutabilityPolicies.uuid, uuid));
      if (!tx.select({ id: immutabilityPolicies.id }).from(immutabilityPolicies).where(mine).get()) return { kind: "missing" as const };
      const same = tx
        .select({ id: immutabilityPolicies.id })
        .from(immutabilityPolicies)
        .where(and(inScope(immutabilityPolicies, scope), eq(immutabilityPolicies.tagPattern, rule.tagPattern), ne(immutabilityPolicies.uuid, uuid)))
        .get();
      if (same) return { kind: "duplicate" as const };
      tx.update(immutabilityPolicies).set(rule).where(mine).run();
      return { kind: "ok" as const, uuid };
    });
  }

  async delete(scope: PolicyScope, uuid: string): Promise<boolean> {
    return (
      this.db
        .delete(immutabilityPolicies)
        .where(and(inScope(immutabilityPolicies, scope), eq(immutabilityPolicies.uuid, uuid)))
        .returning({ id: immutabilityPolicies.id })
        .all().length > 0
    );
  }
}
