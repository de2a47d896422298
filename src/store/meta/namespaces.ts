import { eq, inArray } from "drizzle-orm";
import type { MetaDb } from "../db";
import { namespaces } from "../schema";

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

/** Settings shared by user and organization namespaces. */
export class NamespaceStore {
  constructor(private readonly db: MetaDb) {}

  async settings(name: string): Promise<NamespaceSettings | undefined> {
    return this.db.select(columns).from(namespaces).where(eq(namespaces.name, name)).get();
  }

  async byId(id: number): Promise<NamespaceSettings | undefined> {
    return this.db.select(columns).from(namespaces).where(eq(namespaces.id, id)).get();
  }

  /** The ids of the namespaces with these names (missing names are left out). */
  async idsByName(names: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < names.length; i += 500) {
      const rows = this.db.select({ id: namespaces.id, name: namespaces.name }).from(namespaces).where(inArray(namespaces.name, names.slice(i, i + 500))).all();
      for (const r of rows) out.set(r.name, r.id);
    }
    return out;
  }

  async setEmail(id: number, email: string | null): Promise<void> {
    this.db.update(namespaces).set({ email }).where(eq(namespaces.id, id)).run();
  }

  async setTagExpiration(id: number, seconds: number): Promise<void> {
    this.db.update(namespaces).set({ tagExpirationS: seconds }).where(eq(namespaces.id, id)).run();
  }

}
