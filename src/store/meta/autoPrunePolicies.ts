import { and, asc, count, eq, inArray, isNull, notInArray, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { autoPrunePolicies, namespaces, repositories, tags, users } from "../schema";
import { inScope, type PolicyScope } from "./policyScope";
import { notExpired } from "./tags";

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

const columns = {
  uuid: autoPrunePolicies.uuid,
  repositoryId: autoPrunePolicies.repositoryId,
  method: autoPrunePolicies.method,
  value: autoPrunePolicies.value,
  tagPattern: autoPrunePolicies.tagPattern,
  tagPatternMatches: autoPrunePolicies.tagPatternMatches,
};

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
export class AutoPrunePolicyStore {
  constructor(private readonly db: MetaDb) {}

  /** The scope's policies, oldest first. */
  async list(scope: PolicyScope): Promise<StoredAutoPrunePolicy[]> {
    return this.db.select(columns).from(autoPrunePolicies).where(inScope(autoPrunePolicies, scope)).orderBy(asc(autoPrunePolicies.id)).all().map(stored);
  }

  async get(scope: PolicyScope, uuid: string): Promise<StoredAutoPrunePolicy | undefined> {
    const row = this.db.select(columns).from(autoPrunePolicies).where(and(inScope(autoPrunePolicies, scope), eq(autoPrunePolicies.uuid, uuid))).get();
    return row && stored(row);
  }

  /** Adds a policy unless the scope has one with the same values (Quay refuses duplicates) or already `max`. */
  async create(scope: PolicyScope, config: AutoPruneRow, max: number): Promise<{ kind: "ok"; uuid: string } | { kind: "duplicate" } | { kind: "tooMany" }> {
    return this.db.transaction((tx) => {
      const f = fields(config);
      const held = tx.select({ n: count() }).from(autoPrunePolicies).where(inScope(autoPrunePolicies, scope)).get()!.n;
      if (held >= max) return { kind: "tooMany" as const };
      const same = tx
        .select({ id: autoPrunePolicies.id })
        .from(autoPrunePolicies)
        .where(
          and(
            inScope(autoPrunePolicies, scope),
            eq(autoPrunePolicies.method, f.method),
            eq(autoPrunePolicies.value, f.value),
            sql`${autoPrunePolicies.tagPattern} IS ${f.tagPattern}`,
            eq(autoPrunePolicies.tagPatternMatches, f.tagPatternMatches),
          ),
        )
        .get();
      if (same) return { kind: "duplicate" as const };
      const uuid = crypto.randomUUID();
      tx.insert(autoPrunePolicies).values({ ...f, uuid, namespaceId: scope.namespaceId, repositoryId: scope.repositoryId }).run();
      return { kind: "ok" as const, uuid };
    });
  }

  /** Replaces the policy's values; false when the scope has no policy with this uuid. */
  async update(scope: PolicyScope, uuid: string, config: AutoPruneRow): Promise<boolean> {
    const changed = this.db
      .update(autoPrunePolicies)
      .set(fields(config))
      .where(and(inScope(autoPrunePolicies, scope), eq(autoPrunePolicies.uuid, uuid)))
      .returning({ id: autoPrunePolicies.id })
      .all();
    return changed.length > 0;
  }

  async delete(scope: PolicyScope, uuid: string): Promise<boolean> {
    return (
      this.db
        .delete(autoPrunePolicies)
        .where(and(inScope(autoPrunePolicies, scope), eq(autoPrunePolicies.uuid, uuid)))
        .returning({ id: autoPrunePolicies.id })
        .all().length > 0
    );
  }

  /** Namespaces with at least one policy (their own or a repository's), but not those of disabled users. */
  async namespacesWithPolicies(): Promise<{ id: number; name: string }[]> {
    const disabled = this.db.select({ name: users.username }).from(users).where(eq(users.enabled, false));
    const withPolicies = this.db.selectDistinct({ id: autoPrunePolicies.namespaceId }).from(autoPrunePolicies);
    return this.db
      .select({ id: namespaces.id, name: namespaces.name })
      .from(namespaces)
      .where(and(inArray(namespaces.id, withPolicies), notInArray(namespaces.name, disabled)))
      .orderBy(asc(namespaces.id))
      .all();
  }

  /** Every policy of the namespace, its own and its repositories'. */
  async policiesIn(namespaceId: number): Promise<StoredAutoPrunePolicy[]> {
    return this.db.select(columns).from(autoPrunePolicies).where(eq(autoPrunePolicies.namespaceId, namespaceId)).orderBy(asc(autoPrunePolicies.id)).all().map(stored);
  }

  /** The namespace's repositories whose tags may change (state NORMAL), by name. */
  async repositoriesIn(namespaceId: number): Promise<{ id: number; name: string }[]> {
    return this.db
      .select({ id: repositories.id, name: repositories.fullName })
      .from(repositories)
      .where(and(eq(repositories.namespaceId, namespaceId), eq(repositories.state, "NORMAL")))
      .orderBy(asc(repositories.fullName))
      .all();
  }

  /** The repository's live tags at `now` (not ended, not expired). */
  async liveTags(repositoryId: number, now: number): Promise<PrunableTag[]> {
    return this.db
      .select({ id: tags.id, name: tags.name, startMs: tags.startMs, immutable: tags.immutable })
      .from(tags)
      .where(and(eq(tags.repositoryId, repositoryId), isNull(tags.endMs), notExpired(now)))
      .all();
  }
}
