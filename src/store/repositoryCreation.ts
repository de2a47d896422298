// Creating a repository on someone's behalf, the same way from API v1 (POST /repository), from
// /v2/auth and from a /v2 push: the creator gets admin and, in an organization, the org's
// default permissions apply (Quay's create_repository; reference §2.5 and §2.10).
//
// A repository goes only into a namespace that exists when the write happens: creating one is
// never a side effect of a repository (users, organizations and the superuser's push at
// /v2/auth create namespaces, each on purpose). The only exception is open mode, where an
// anonymous push makes an ownerless namespace. The caller's right to create is asked again
// inside the same transaction, so a token issued before its namespace was deleted (or its
// user, or its team membership) cannot bring the namespace back.

import type { Stores } from "./index";
import type { RepoRow } from "./meta/repositories";
import type { PrototypeCreator } from "./meta/prototypes";

export interface NewRepository {
  /** ns/name. */
  fullName: string;
  visibility: "private" | "public";
  description?: string;
  /** The user or robot asking; undefined for anonymous pushes (`--auth none`) and the system. */
  creator?: PrototypeCreator;
  /** Open mode (`--auth none`) only: a missing namespace is made, ownerless. */
  createNamespace?: boolean;
  /** Asked inside the write transaction once the namespace is found: may the caller still create here? */
  mayCreate?: () => boolean;
}

export type CreateRepositoryOutcome =
  | { kind: "created"; repo: RepoRow; defaultGrants: number }
  | { kind: "exists"; repo: RepoRow }
  | { kind: "noNamespace"; namespace: string }
  | { kind: "refused" };

type CreationStores = Pick<Stores, "db" | "repositories" | "permissions" | "prototypes" | "orgs">;

/** Creates the repository with its creator's admin grant and the org's defaults, all or nothing. */
export function createRepositoryWithDefaults(stores: CreationStores, input: NewRepository): CreateRepositoryOutcome {
  const existing = stores.repositories.find(input.fullName);
  if (existing) return { kind: "exists", repo: existing };
  const namespace = input.fullName.slice(0, input.fullName.indexOf("/"));
  // One transaction, taken for writing up front: the checks and the insert see the same state
  // (a deferred one could be overtaken by a writer between its read and its write). The
  // stores' own transactions nest inside it as savepoints.
  return stores.db.transaction(
    (): CreateRepositoryOutcome => {
      const again = stores.repositories.find(input.fullName);
      if (again) return { kind: "exists", repo: again };
      const ns = stores.orgs.namespace(namespace);
      if (!ns && !input.createNamespace) return { kind: "noNamespace", namespace };
      if (input.mayCreate && !input.mayCreate()) return { kind: "refused" };
      const repo = stores.repositories.ensure(input.fullName, input.visibility);
      if (input.description !== undefined) stores.repositories.setDescription(repo.id, input.description);
      let defaultGrants = 0;
      if (input.creator) {
        stores.permissions.set(repo.id, input.creator, "admin");
        // Only organizations have prototypes; in a user's own namespace there is nothing to apply.
        if (ns?.kind === "org") defaultGrants = stores.prototypes.applyOnCreate(ns.id, repo.id, input.creator);
      }
      return { kind: "created", repo, defaultGrants };
    },
    { behavior: "immediate" },
  );
}
