// Repository steps: create (API v1, /v2/auth, a push), delete, visibility, state.
import type { Actor, RepoRef, RepositoryState } from "../events/registryEvents";
import type { Program } from "../store/dialect/program";
import type { PrototypeCreator } from "../store/meta/prototypes";
import type { OperationScope } from "./operation";
import type { CreateRepositoryOutcome, Ok } from "./outcomes";

export interface CreateRepositoryInput {
  /** ns/name. */
  fullName: string;
  visibility: "private" | "public";
  description?: string;
  /** Gets admin and, in an organization, the org's default permissions. */
  creator?: PrototypeCreator;
  /** Open mode (`--auth none`) only: a missing namespace is made, ownerless. */
  createNamespace?: boolean;
  /**
   * Asked inside the transaction once the namespace is found: may the caller still create here?
   * (A token outliving its namespace, user or team membership must not create.)
   */
  mayCreate?: () => boolean;
  actor: Actor;
}

/**
 * A repository goes only into a namespace that exists when the write happens: creating one is
 * never a side effect of a repository (open mode excepted, where an anonymous push makes an
 * ownerless namespace).
 */
export function* createRepository(op: OperationScope, input: CreateRepositoryInput): Program<CreateRepositoryOutcome> {
  const existing = yield* op.tx.repositoryByName(input.fullName);
  if (existing) return { kind: "exists", repo: existing };
  const namespace = input.fullName.slice(0, input.fullName.indexOf("/"));
  if (!input.createNamespace && !(yield* op.tx.namespaceExists(namespace))) return { kind: "noNamespace", namespace };
  if (input.mayCreate && !input.mayCreate()) return { kind: "refused" };
  yield* op.guard("createRepository", {});
  const made = yield* op.tx.createRepository(input);
  if (made.kind !== "created") return made;
  const repo = { id: made.repo.id, name: made.repo.fullName };
  op.emit({ type: "repositoryCreated", repo, actor: input.actor, visibility: input.visibility });
  return { kind: "ok", repo: made.repo, defaultGrants: made.defaultGrants };
}

/** Deletes the repository with its manifests, tags, links and grants; the collector frees the bytes. */
export function* deleteRepository(op: OperationScope, input: { repo: RepoRef; actor: Actor }): Program<Ok> {
  yield* op.guard("deleteRepository", { repoId: input.repo.id });
  yield* op.tx.deleteRepository(input.repo.id);
  op.emit({ type: "repositoryDeleted", repo: input.repo, actor: input.actor });
  return { kind: "ok" };
}

export function* changeVisibility(op: OperationScope, input: { repo: RepoRef; visibility: "private" | "public"; actor: Actor }): Program<Ok> {
  yield* op.guard("changeVisibility", { repoId: input.repo.id });
  yield* op.tx.setVisibility(input.repo.id, input.visibility);
  op.emit({ type: "visibilityChanged", repo: input.repo, actor: input.actor, visibility: input.visibility });
  return { kind: "ok" };
}

export function* setRepositoryState(op: OperationScope, input: { repo: RepoRef; state: RepositoryState; actor: Actor }): Program<Ok> {
  yield* op.guard("setRepositoryState", { repoId: input.repo.id });
  yield* op.tx.setState(input.repo.id, input.state);
  op.emit({ type: "repositoryStateChanged", repo: input.repo, actor: input.actor, state: input.state });
  return { kind: "ok" };
}
