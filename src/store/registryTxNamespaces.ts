// The registry transaction's steps on namespaces and whole repositories: creating, deleting,
// visibility and state, and the namespace's settings, quota and usage its guards read.
// RegistryTx (registryTx.ts) extends this class: one transaction, split into files by idea.
import { eq } from "drizzle-orm";
import type { PrototypeCreator } from "./meta/prototypes";
import type { RegistryTxGrants } from "./registryTxGrantShim";
import type { OrgStore } from "./meta/orgs";
import type { QuotaRow, QuotaStore } from "./meta/quotas";
import type { QuotaUsageStore } from "./meta/quotaUsage";
import { timeMachineMs } from "./meta/tags";
import { repositoryColumns } from "./registryStatements";
import type { RepositoryFacts, RepositoryState, Tx } from "./registryTx";
import { namespaces, repositories } from "./schema";

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
  // TEMPORARY synchronous forms (registryTxGrantShim.ts) until this body is a generator.
  permissions: RegistryTxGrants["permissions"];
  prototypes: RegistryTxGrants["prototypes"];
  orgs: OrgStore;
  // Only their synchronous in-transaction forms: the body stays synchronous on SQLite.
  quotas: Pick<QuotaStore, "ofNamespaceInTx">;
  quotaUsage: Pick<QuotaUsageStore, "namespaceBytesInTx" | "bytesNewToNamespaceInTx">;
}

/** What RegistryTx is made of: the transaction, the stores it reaches, its clock. */
export abstract class NamespaceTxSteps {
  constructor(
    protected readonly tx: Tx,
    protected readonly stores: RegistryTxStores,
    /** The transaction's clock: every time it writes is this one. */
    readonly now: number,
  ) {}

  abstract repositoryByName(fullName: string): RepositoryFacts | undefined;

  /** The namespace's quota with its limits, if it has one. */
  quota(namespaceId: number): QuotaRow | undefined {
    return this.stores.quotas.ofNamespaceInTx(namespaceId);
  }

  /** The bytes the namespace's manifests name, each blob once. */
  namespaceUsage(namespaceId: number): number {
    return this.stores.quotaUsage.namespaceBytesInTx(namespaceId);
  }

  /** What these blobs would add to the namespace's usage (`size` for a blob whose row is not written yet). */
  bytesNewToNamespace(namespaceId: number, blobs: { digest: string; size?: number }[]): number {
    return blobs.length ? this.stores.quotaUsage.bytesNewToNamespaceInTx(namespaceId, blobs) : 0;
  }

  /** How long ended tag periods stay in the time machine, from the repository's namespace (Quay's removed_tag_expiration_s). */
  timeMachineMs(repoId: number): number {
    return timeMachineMs(this.tx, repoId);
  }

  namespaceExists(name: string): boolean {
    return this.tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get() !== undefined;
  }

  /**
   * Creates `ns/name` in an existing namespace (or, with createNamespace, an ownerless one), with
   * its creator's admin grant and the org's default permissions.
   */
  createRepository(input: NewRepositoryRow): CreateRepositoryRow {
    const existing = this.repositoryByName(input.fullName);
    if (existing) return { kind: "exists", repo: existing };
    const slash = input.fullName.indexOf("/");
    const nsName = input.fullName.slice(0, slash);
    let ns = this.tx.select({ id: namespaces.id, kind: namespaces.kind }).from(namespaces).where(eq(namespaces.name, nsName)).get();
    if (!ns) {
      if (!input.createNamespace) return { kind: "noNamespace", namespace: nsName };
      ns = this.tx.insert(namespaces).values({ name: nsName }).returning({ id: namespaces.id, kind: namespaces.kind }).get();
    }
    const repo = this.tx
      .insert(repositories)
      .values({
        namespaceId: ns.id,
        name: input.fullName.slice(slash + 1),
        fullName: input.fullName,
        visibility: input.visibility,
        description: input.description ?? null,
        createdMs: this.now,
        updatedMs: this.now,
      })
      .returning(repositoryColumns)
      .get();
    let defaultGrants = 0;
    if (input.creator) {
      this.stores.permissions.set(repo.id, input.creator, "admin");
      // Only organizations have prototypes; in a user's own namespace there is nothing to apply.
      if (ns.kind === "org") defaultGrants = this.stores.prototypes.applyOnCreateInTx(ns.id, repo.id, input.creator);
    }
    return { kind: "created", repo, defaultGrants };
  }

  /** Deletes the repository with its manifests, tags, links and grants (by cascade); the collector frees the bytes. */
  deleteRepository(repoId: number): void {
    this.tx.delete(repositories).where(eq(repositories.id, repoId)).run();
  }

  setVisibility(repoId: number, visibility: "private" | "public"): void {
    this.tx.update(repositories).set({ visibility, updatedMs: this.now }).where(eq(repositories.id, repoId)).run();
  }

  setState(repoId: number, state: RepositoryState): void {
    this.tx.update(repositories).set({ state, updatedMs: this.now }).where(eq(repositories.id, repoId)).run();
  }
}
