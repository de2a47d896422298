import type { Stores } from ".";

/**
 * Removes a user or organization namespace with everything in it. Repositories go one by one
 * through RepositoryStore (its read cache must forget them; /v2 would otherwise keep serving
 * them for a moment); blobs stay until `berth gc`, as after any repository deletion.
 */
export function removeNamespace(stores: Pick<Stores, "repositories" | "namespaces">, namespace: { id: number; name: string }): void {
  for (const name of stores.repositories.list(undefined, undefined, (n) => n.startsWith(`${namespace.name}/`))) {
    const row = stores.repositories.find(name);
    if (row) stores.repositories.delete(row.id);
  }
  stores.namespaces.delete(namespace.id);
}
