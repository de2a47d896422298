// TEMPORARY, remove when the registry's transaction runs generator bodies (the work/registrytx
// merge): its createRepository then yields* setRepoPermission and applyPrototypesOnCreate
// (meta/permissions.ts, meta/prototypes.ts) itself. Until then it is a synchronous SQLite
// transaction calling these synchronously; on SQLite the runner runs a body to its end before
// `run` returns, so the same bodies serve it, on the one connection, inside its transaction.
import type { Body, Runner } from "./dialect/program";
import { setRepoPermission, type GrantRole, type Grantee } from "./meta/permissions";
import { applyPrototypesOnCreate, type PrototypeCreator } from "./meta/prototypes";

/** The grant steps of the registry's repository creation, synchronous (SQLite only). */
export interface RegistryTxGrants {
  permissions: { set(repositoryId: number, grantee: Grantee, role: GrantRole): void };
  prototypes: { applyOnCreateInTx(namespaceId: number, repositoryId: number, creator: PrototypeCreator): number };
}

export function registryTxGrants(runner: Runner): RegistryTxGrants {
  return {
    permissions: { set: (repositoryId, grantee, role) => runNow(runner, (scope) => setRepoPermission(scope, repositoryId, grantee, role)) },
    prototypes: { applyOnCreateInTx: (namespaceId, repositoryId, creator) => runNow(runner, (scope) => applyPrototypesOnCreate(scope, namespaceId, repositoryId, creator)) },
  };
}

/** Runs the body now and answers its result or throws its error (the caller's transaction rolls back). */
function runNow<T>(runner: Runner, body: Body<T>): T {
  if (runner.dialect !== "sqlite") throw new Error("registryTxGrants: SQLite only (the registry's transaction is)");
  let outcome: { value: T } | { error: unknown } | undefined;
  void runner.run(function* (scope) {
    try {
      outcome = { value: yield* body(scope) };
    } catch (error) {
      outcome = { error };
    }
  });
  if (!outcome) throw new Error("registryTxGrants: the SQLite runner did not finish synchronously");
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}
