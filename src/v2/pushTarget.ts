import { accountOf } from "../auth/identity";
import { identityOfTokenSubject } from "../perm/tokenAccess";
import type { RepoRow } from "../store/meta/repositories";
import { createRepositoryWithDefaults } from "../store/repositoryCreation";
import type { V2Context } from "./context";
import { RegistryError } from "./errors";
import { canonicalRepoName } from "./respond";

/**
 * The repository a push writes into (upload start, manifest PUT): the existing one, or one
 * created now. The token only says what its holder could do when it was issued; creating is
 * asked again at the write, so a token outliving its namespace, its user or its right to
 * create cannot create (and never brings a namespace back). Open mode creates what it needs.
 */
export function repositoryForPush(ctx: V2Context, request: Request, name: string): RepoRow {
  const fullName = canonicalRepoName(name);
  const found = ctx.stores.repositories.find(fullName);
  if (found) return found;
  const auth = ctx.auth;
  if (!auth) {
    const made = createRepositoryWithDefaults(ctx.stores, { fullName, visibility: "private", createNamespace: true });
    if (made.kind === "created" || made.kind === "exists") return made.repo;
    throw denied(fullName);
  }
  const subject = ctx.access.verifiedSubject(request);
  const identity = subject && identityOfTokenSubject(ctx.stores, subject);
  if (!identity) throw denied(fullName);
  const made = createRepositoryWithDefaults(ctx.stores, {
    fullName,
    visibility: "private",
    creator: accountOf(identity),
    mayCreate: () => auth.roles.standing(identity, fullName).canCreateInNamespace,
  });
  if (made.kind === "created" || made.kind === "exists") return made.repo;
  if (made.kind === "noNamespace") throw new RegistryError("NAME_UNKNOWN", `namespace "${made.namespace}" does not exist`, { name: fullName });
  throw denied(fullName);
}

const denied = (name: string) => new RegistryError("DENIED", "requested access to the resource is denied", { name });
