// The names of the proxy-cache organizations, in memory, for the manifest GET path: every GET
// asks whether its namespace is a cache org, and a normal repository's GET must not wait for a
// query to hear "no". The memory is current while the store's read cache keeps the token it was
// read under: every committed write clears the read cache (a proxy cache's create and delete
// included; on several nodes, every node's), so the next question reads the names again.
import { eq } from "drizzle-orm";
import { all, type Runner } from "../dialect/program";
import type { ReadCache } from "./readCache";

const KEY = "proxyCacheOrgNames";
/** A new token: one object per clear of the read cache, made once (not a closure per question). */
const newToken = (): object => ({});

export class CacheOrgNames {
  private names: Set<string> | undefined;
  /** The read cache's token the names were read under: a different one means the cache was cleared since. */
  private readUnder: object | undefined;
  private loading: { token: object; names: Promise<Set<string>> } | undefined;

  constructor(
    private readonly q: Runner,
    private readonly cache: ReadCache,
  ) {
    // Read at once, so the first GETs after a start answer without waiting for the query.
    void this.load(this.cache.get(KEY, newToken)).catch(() => {});
  }

  /** Whether `org` is a cache org's name; synchronous while the memory is current. */
  mayBe(org: string): boolean | Promise<boolean> {
    const token = this.cache.get(KEY, newToken);
    if (this.names && token === this.readUnder) return this.names.has(org);
    return this.load(token).then((names) => names.has(org));
  }

  /** A create or delete on this node committed: the memory holds it before it is read again. */
  changed(org: string, isCache: boolean): void {
    // A read under way began before the write: its answer must not replace this one.
    this.loading = undefined;
    this.names ??= new Set();
    if (isCache) this.names.add(org);
    else this.names.delete(org);
    this.readUnder = undefined;
  }

  private load(token: object): Promise<Set<string>> {
    if (this.loading?.token === token) return this.loading.names;
    const names = this.q
      .run(function* ({ db, t }) {
        return yield* all(db.select({ name: t.namespaces.name }).from(t.proxyCacheConfigs).innerJoin(t.namespaces, eq(t.namespaces.id, t.proxyCacheConfigs.namespaceId)));
      })
      .then(
        (rows) => {
          const read = new Set(rows.map((r) => r.name));
          // Read under the token taken before the query: a write committed meanwhile cleared it, so the next question reads again.
          if (this.loading?.names === names) [this.names, this.readUnder, this.loading] = [read, token, undefined];
          return read;
        },
        (e) => {
          if (this.loading?.names === names) this.loading = undefined;
          throw e;
        },
      );
    this.loading = { token, names };
    return names;
  }
}
