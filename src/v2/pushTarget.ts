import { accountOf } from "../auth/identity";
import { identityOfTokenSubject } from "../perm/tokenAccess";
import type { RepoRow } from "../store/meta/repositories";
import type { V2Context } from "./context";
import { requestActor } from "./actor";
import { RegistryError, refusalError } from "./errors";
import { canonicalRepoName } from "./respond";

/**
 * The repository a push writes into (upload start, manifest PUT): the existing one, or one
 * created now. The token only says what its holder could do when it was issued; creating is
 * asked again at the write, so a token outliving its namespace, its user or its right to
 * create cannot create (and never brings a namespace back). Open mode creates what it needs.
 */
export async function repositoryForPush(ctx: V2Context, request: Request, name: string): Promise<RepoRow> {
  const fullName = canonicalRepoName(name);
  const found = await ctx.stores.repositories.find(fullName);
  if (found) return found;
  const actor = requestActor(ctx, request);
  const auth = ctx.auth;
  if (!auth) {
    const made = await ctx.registry.createRepository({ fullName, visibility: "private", createNamespace: true, actor });
    if (made.kind === "registryReadOnly") throw refusalError(made);
    if (made.kind === "ok" || made.kind === "exists") return (await ctx.stores.repositories.find(made.repo.fullName)) ?? denied(fullName);
    denied(fullName);
  }
  const subject = ctx.access.verifiedSubject(request);
  const identity = subject && (await identityOfTokenSubject(ctx.stores, subject));
  if (!identity) denied(fullName);
  // Asked before the write: role resolution is asynchronous, the registry's transaction is not yet.
  const mayCreate = (await auth.roles.standing(identity, fullName)).canCreateInNamespace;
  const made = await ctx.registry.createRepository({
    fullName,
    visibility: "private",
    creator: accountOf(identity),
    mayCreate: () => mayCreate,
    actor,
  });
  if (made.kind === "ok" || made.kind === "exists") return (await ctx.stores.repositories.find(made.repo.fullName)) ?? denied(fullName);
  if (made.kind === "registryReadOnly") throw refusalError(made);
  if (made.kind === "noNamespace") throw new RegistryError("NAME_UNKNOWN", `namespace "${made.namespace}" does not exist`, { name: fullName });
  denied(fullName);
}

function denied(name: string): never {
  throw new RegistryError("DENIED", "requested access to the resource is denied", { name });
}
