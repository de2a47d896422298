import type { Stores } from ".";

/**
 * Removes a user or organization namespace with everything in it: repositories, robots, teams
 * and grants go by cascade (through RepositoryStore, whose read cache must forget them), and a
 * user namespace takes its user. The next collection pass frees the blobs, as after any repository deletion.
 */
export async function removeNamespace(stores: Pick<Stores, "repositories" | "users" | "namespaces">, name: string): Promise<void> {
  const ns = await stores.namespaces.settings(name);
  if (!ns) return;
  if (ns.kind === "user") {
    const user = await stores.users.byName(name);
    if (user) await stores.users.delete(user.id);
  }
  await stores.repositories.deleteNamespace(ns.id);
}
