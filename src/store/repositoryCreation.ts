// Creating a repository on someone's behalf, the same way from API v1 (POST /repository) and
// from a /v2 push: the creator gets admin and, in an organization, the org's default
// permissions apply (Quay's create_repository; reference §2.5 and §2.10).

import type { Stores } from "./index";
import type { RepoRow } from "./meta/repositories";
import type { PrototypeCreator } from "./meta/prototypes";

export interface NewRepository {
  /** ns/name; the namespace must exist unless the caller accepts an ownerless one (open mode). */
  fullName: string;
  visibility: "private" | "public";
  description?: string;
  /** The user or robot asking; undefined for anonymous pushes (`--auth none`) and the system. */
  creator?: PrototypeCreator;
}

export type CreateRepositoryOutcome =
  | { kind: "created"; repo: RepoRow; defaultGrants: number }
  | { kind: "exists"; repo: RepoRow };

type CreationStores = Pick<Stores, "db" | "repositories" | "permissions" | "prototypes" | "orgs">;

/** Creates the repository with its creator's admin grant and the org's defaults, all or nothing. */
export function createRepositoryWithDefaults(stores: CreationStores, input: NewRepository): CreateRepositoryOutcome {
  const existing = stores.repositories.find(input.fullName);
  if (existing) return { kind: "exists", repo: existing };
  const namespace = input.fullName.slice(0, input.fullName.indexOf("/"));
  // One transaction: the stores' own transactions nest inside it as savepoints.
  return stores.db.transaction((): CreateRepositoryOutcome => {
    const repo = stores.repositories.ensure(input.fullName, input.visibility);
    if (input.description !== undefined) stores.repositories.setDescription(repo.id, input.description);
    let defaultGrants = 0;
    if (input.creator) {
      stores.permissions.set(repo.id, input.creator, "admin");
      // Only organizations have prototypes; in a user's own namespace there is nothing to apply.
      const ns = stores.orgs.namespace(namespace);
      if (ns?.kind === "org") defaultGrants = stores.prototypes.applyOnCreate(ns.id, repo.id, input.creator);
    }
    return { kind: "created", repo, defaultGrants };
  });
}
