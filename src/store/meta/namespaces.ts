import { eq, inArray } from "drizzle-orm";
import { all, changes, one, type Runner, type Tables } from "../dialect/program";

export interface NamespaceSettings {
  id: number;
  name: string;
  kind: "user" | "org";
  /** An organization's contact address (users keep theirs on the user row). */
  email: string | null;
  /** How long ended tags stay restorable. */
  tagExpirationS: number;
}

const columns = ({ namespaces }: Tables) => ({
  id: namespaces.id,
  name: namespaces.name,
  kind: namespaces.kind,
  email: namespaces.email,
  tagExpirationS: namespaces.tagExpirationS,
});

/** Settings shared by user and organization namespaces. */
export class NamespaceStore {
  constructor(private readonly q: Runner) {}

  settings(name: string): Promise<NamespaceSettings | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(columns(t)).from(t.namespaces).where(eq(t.namespaces.name, name)));
    });
  }

  byId(id: number): Promise<NamespaceSettings | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(columns(t)).from(t.namespaces).where(eq(t.namespaces.id, id)));
    });
  }

  /** The ids of the namespaces with these names (missing names are left out). */
  idsByName(names: string[]): Promise<Map<string, number>> {
    return this.q.run(function* ({ db, t }) {
      const out = new Map<string, number>();
      // In chunks: a statement takes a bounded number of parameters.
      for (let i = 0; i < names.length; i += 500) {
        const chunk = names.slice(i, i + 500);
        const rows = yield* all(db.select({ id: t.namespaces.id, name: t.namespaces.name }).from(t.namespaces).where(inArray(t.namespaces.name, chunk)));
        for (const r of rows) out.set(r.name, r.id);
      }
      return out;
    });
  }

  async setEmail(id: number, email: string | null): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.update(t.namespaces).set({ email }).where(eq(t.namespaces.id, id)));
    });
  }

  async setTagExpiration(id: number, seconds: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.update(t.namespaces).set({ tagExpirationS: seconds }).where(eq(t.namespaces.id, id)));
    });
  }
}
