import { eq } from "drizzle-orm";
import type { MetaDb } from "../db";
import { namespaces, users } from "../schema";

export interface NamespaceSettings {
  id: number;
  name: string;
  kind: "user" | "org";
  /** An organization's contact address (users keep theirs on the user row). */
  email: string | null;
  /** How long ended tags stay restorable. */
  tagExpirationS: number;
}

const columns = {
  id: namespaces.id,
  name: namespaces.name,
  kind: namespaces.kind,
  email: namespaces.email,
  tagExpirationS: namespaces.tagExpirationS,
};

/** Settings shared by user and organization namespaces, and their removal. */
export class NamespaceStore {
  constructor(private readonly db: MetaDb) {}

  settings(name: string): NamespaceSettings | undefined {
    return this.db.select(columns).from(namespaces).where(eq(namespaces.name, name)).get();
  }

  byId(id: number): NamespaceSettings | undefined {
    return this.db.select(columns).from(namespaces).where(eq(namespaces.id, id)).get();
  }

  setEmail(id: number, email: string | null): void {
    this.db.update(namespaces).set({ email }).where(eq(namespaces.id, id)).run();
  }

  setTagExpiration(id: number, seconds: number): void {
    this.db.update(namespaces).set({ tagExpirationS: seconds }).where(eq(namespaces.id, id)).run();
  }

  /**
   * Deletes the namespace row (robots, teams, grants and repositories go by cascade) and, for a
   * user namespace, the user. Callers delete repositories through RepositoryStore first so its
   * read cache forgets them (see namespaceRemoval.ts).
   */
  delete(id: number): void {
    this.db.transaction((tx) => {
      const ns = tx.select(columns).from(namespaces).where(eq(namespaces.id, id)).get();
      if (!ns) return;
      if (ns.kind === "user") tx.delete(users).where(eq(users.username, ns.name)).run();
      tx.delete(namespaces).where(eq(namespaces.id, id)).run();
    });
  }
}
