// The registry transaction's steps on namespaces and whole repositories: creating, deleting,
// visibility and state, and the namespace's settings, quota and usage its guards read.
// RegistryTx (registryTx.ts) extends this class: one transaction, split into files by idea.
// Every method is a step of the transaction's body: `yield* tx.quota(id)`.
import { eq } from "drizzle-orm";
import { all, attempt, changes, lock, LOCK_SPACE, one, type Program, type Scope } from "./dialect/program";
import { constraintViolated } from "./dialect/errors";
import { setRepoPermission } from "./meta/permissions";
import { applyPrototypesOnCreate, type PrototypeCreator } from "./meta/prototypes";
import type { QuotaRow, QuotaStore } from "./meta/quotas";
import type { QuotaUsageStore } from "./meta/quotaUsage";
import { repositoryColumns } from "./registryStatements";
import type { RepositoryFacts, RepositoryState } from "./registryTx";
import { timeMachineMs } from "./meta/tagPeriods";

export interface NewRepositoryRow {
  fullName: string;
  visibility: "private" | "public";
  description?: string;
  /** Gets admin and, in an organization, the org's default permissions. */
  creator?: PrototypeCreator;
  /** Open mode only: a missing namespace is made, ownerless. */
  createNamespace?: boolean;
}

export type CreateRepositoryRow =
  | { kind: "created"; repo: RepositoryFacts; defaultGrants: number }
  | { kind: "exists"; repo: RepositoryFacts }
  | { kind: "noNamespace"; namespace: string };

/** Stores the registry's transactions reach beyond its own tables. */
export interface RegistryTxStores {
  // Their in-transaction forms are steps of the transaction's body.
  quotas: Pick<QuotaStore, "ofNamespaceInTx">;
  quotaUsage: Pick<QuotaUsageStore, "namespaceBytesInTx" | "bytesNewToNamespaceInTx">;
}

/** The creator's admin grant and, in an organization, its default permissions; how many defaults applied. */
function* grantCreator(scope: Scope, namespace: { id: number; kind: string }, repoId: number, creator: PrototypeCreator): Program<number> {
  yield* setRepoPermission(scope, repoId, creator, "admin");
  // Only organizations have prototypes; in a user's own namespace there is nothing to apply.
  return namespace.kind === "org" ? yield* applyPrototypesOnCreate(scope, namespace.id, repoId, creator) : 0;
}

/** What RegistryTx is made of: the transaction's scope, the stores it reaches, its clock. */
export abstract class NamespaceTxSteps {
  constructor(
    protected readonly scope: Scope,
    protected readonly stores: RegistryTxStores,
    /** The transaction's clock: every time it writes is this one. */
    readonly now: number,
  ) {}

  abstract repositoryByName(fullName: string): Program<RepositoryFacts | undefined>;

  /** The namespace's quota with its limits, if it has one. */
  *quota(namespaceId: number): Program<QuotaRow | undefined> {
    return yield* this.stores.quotas.ofNamespaceInTx(namespaceId);
  }

  /**
   * Takes the namespace's quota lock until the transaction ends, before its usage is read: two
   * pushes into one namespace (different repositories, so no row lock they share) measure and
   * write one after the other, and cannot both pass for the last bytes. PostgreSQL's advisory
   * lock; nothing on SQLite, whose single writer serialises them.
   */
  *lockQuota(namespaceId: number): Program<void> {
    yield* lock(LOCK_SPACE.namespaceQuota, namespaceId);
  }

  /** The bytes the namespace's manifests name, each blob once. */
  *namespaceUsage(namespaceId: number): Program<number> {
    return yield* this.stores.quotaUsage.namespaceBytesInTx(namespaceId);
  }

  /** What these blobs would add to the namespace's usage (`size` for a blob whose row is not written yet). */
  *bytesNewToNamespace(namespaceId: number, blobs: { digest: string; size?: number }[]): Program<number> {
    return blobs.length ? yield* this.stores.quotaUsage.bytesNewToNamespaceInTx(namespaceId, blobs) : 0;
  }

  /** How long ended tag periods stay in the time machine, from the repository's namespace (Quay's removed_tag_expiration_s). */
  *timeMachineMs(repoId: number): Program<number> {
    return yield* timeMachineMs(this.scope, repoId);
  }

  *namespaceExists(name: string): Program<boolean> {
    const { db, t } = this.scope;
    return (yield* one(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.name, name)))) !== undefined;
  }

  /**
   * Creates `ns/name` in an existing namespace (or, with createNamespace, an ownerless one), with
   * its creator's admin grant and the org's default permissions.
   */
  *createRepository(input: NewRepositoryRow): Program<CreateRepositoryRow> {
    const { db, t } = this.scope;
    const existing = yield* this.repositoryByName(input.fullName);
    if (existing) return { kind: "exists", repo: existing };
    const slash = input.fullName.indexOf("/");
    const nsName = input.fullName.slice(0, slash);
    const namespaceNamed = () => one(db.select({ id: t.namespaces.id, kind: t.namespaces.kind }).from(t.namespaces).where(eq(t.namespaces.name, nsName)));
    let ns = yield* namespaceNamed();
    if (!ns) {
      if (!input.createNamespace) return { kind: "noNamespace", namespace: nsName };
      // Another transaction may be making it at once (PostgreSQL): then its row is the one.
      yield* changes(db.insert(t.namespaces).values({ name: nsName }).onConflictDoNothing());
      ns = (yield* namespaceNamed())!;
    }
    const namespaceId = ns.id;
    const { now } = this;
    let repo: RepositoryFacts;
    try {
      // On PostgreSQL a creation of the same name at once waits for the other's commit, then
      // breaks the unique name: a savepoint, so this transaction goes on and answers "exists".
      repo = yield* attempt(function* ({ db, t }) {
        const [row] = yield* all(
          db
            .insert(t.repositories)
            .values({
              namespaceId,
              name: input.fullName.slice(slash + 1),
              fullName: input.fullName,
              visibility: input.visibility,
              description: input.description ?? null,
              createdMs: now,
              updatedMs: now,
            })
            .returning(repositoryColumns(t)),
        );
        return row!;
      });
    } catch (e) {
      const created = constraintViolated(e) === "unique" ? yield* this.repositoryByName(input.fullName) : undefined;
      if (created) return { kind: "exists", repo: created };
      throw e;
    }
    const defaultGrants = input.creator ? yield* grantCreator(this.scope, ns, repo.id, input.creator) : 0;
    return { kind: "created", repo, defaultGrants };
  }

  /** Deletes the repository with its manifests, tags, links and grants (by cascade); the collector frees the bytes. */
  *deleteRepository(repoId: number): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.delete(t.repositories).where(eq(t.repositories.id, repoId)));
  }

  *setVisibility(repoId: number, visibility: "private" | "public"): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.update(t.repositories).set({ visibility, updatedMs: this.now }).where(eq(t.repositories.id, repoId)));
  }

  *setState(repoId: number, state: RepositoryState): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.update(t.repositories).set({ state, updatedMs: this.now }).where(eq(t.repositories.id, repoId)));
  }
}
