// Proxy-cache organizations (Quay's data/model/proxy_cache.py): one configuration per
// organization. Credentials are encrypted at rest (FieldCipher "proxy cache credential"); methods
// take and give plaintext, and only credentials() gives the password.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { FieldCipher } from "../fieldEncryption";
import { all, one, type Program, type Runner, type Scope, type Tables } from "../dialect/program";
import type { ReadCache } from "./readCache";
import { CacheOrgNames } from "./cacheOrgNames";

export interface ProxyCacheConfig {
  namespaceId: number;
  org: string;
  /** host[:port][/namespace]. */
  upstreamRegistry: string;
  expirationS: number;
  insecure: boolean;
}

export interface NewProxyCache {
  namespaceId: number;
  upstreamRegistry: string;
  username: string | null;
  password: string | null;
  expirationS: number;
  insecure: boolean;
}

const columns = ({ proxyCacheConfigs: c, namespaces }: Tables) => ({
  namespaceId: c.namespaceId,
  org: namespaces.name,
  upstreamRegistry: c.upstreamRegistry,
  expirationS: c.expirationS,
  insecure: c.insecure,
});

export class ProxyCacheStore {
  /** The organizations that are proxy caches, in memory: a name not there is no cache without a query (every manifest GET asks). */
  private readonly names: CacheOrgNames;
  /** forOrg's query, prepared: it runs on every manifest GET of a cache org. */
  private readonly ofOrg;

  constructor(
    private readonly q: Runner,
    private readonly cipher: FieldCipher,
    private readonly cache: ReadCache,
  ) {
    this.names = new CacheOrgNames(q, cache);
    this.ofOrg = q.statement(({ db, t }) =>
      db
        .select(columns(t))
        .from(t.proxyCacheConfigs)
        .innerJoin(t.namespaces, eq(t.namespaces.id, t.proxyCacheConfigs.namespaceId))
        .where(eq(t.namespaces.name, sql.placeholder("org"))),
    );
  }

  private seal(v: string | null): string | null {
    return v === null || v === "" ? null : this.cipher.seal(v);
  }

  /**
   * False when `org` is surely no proxy cache; true when it may be (forOrg tells). Synchronous
   * while the memory of cache orgs is current (the read cache was not cleared since it was read);
   * a promise of the answer when it must be read again first.
   */
  mayBeCache(org: string): boolean | Promise<boolean> {
    return this.names.mayBe(org);
  }

  /** The configuration of organization `org`, or undefined (a user, or an org that is no cache). */
  async forOrg(org: string): Promise<ProxyCacheConfig | undefined> {
    if (!(await this.mayBeCache(org))) return undefined;
    const ofOrg = this.ofOrg;
    return this.q.run(function* () {
      return yield* one(ofOrg, { org });
    });
  }

  /** The upstream credentials, decrypted; undefined when there are none (or they cannot be read). */
  async credentials(namespaceId: number): Promise<{ username: string; password: string } | undefined> {
    const r = await this.q.run(function* ({ db, t }) {
      const c = t.proxyCacheConfigs;
      return yield* one(db.select({ u: c.username, p: c.password }).from(c).where(eq(c.namespaceId, namespaceId)));
    });
    const username = r?.u ? this.cipher.open(r.u) : undefined;
    if (username === undefined) return undefined;
    return { username, password: (r!.p && this.cipher.open(r!.p)) ?? "" };
  }

  /** False when the organization already has one (its unique namespace: of two creates at once, one wins on both dialects). */
  async create(c: NewProxyCache): Promise<boolean> {
    const values = { ...c, username: this.seal(c.username), password: this.seal(c.password) };
    try {
      const org = await this.q.run(function* ({ db, t }) {
        const [made] = yield* all(db.insert(t.proxyCacheConfigs).values(values).onConflictDoNothing().returning({ id: t.proxyCacheConfigs.id }));
        return made && (yield* orgName({ db, t }, c.namespaceId));
      });
      if (org !== undefined) this.names.changed(org, true);
      return org !== undefined;
    } finally {
      // Every node's memory of cache orgs is read again.
      this.cache.clear();
    }
  }

  /** Quay's namespace_has_immutable_tags: a live immutable tag in the namespace (it could not be kept in step with an upstream). */
  hasImmutableTags(namespaceId: number): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const found = yield* one(
        db
          .select({ id: t.tags.id })
          .from(t.tags)
          .innerJoin(t.repositories, eq(t.repositories.id, t.tags.repositoryId))
          .where(and(eq(t.repositories.namespaceId, namespaceId), isNull(t.tags.endMs), eq(t.tags.immutable, true)))
          .limit(1),
      );
      return found !== undefined;
    });
  }

  /** True when there was one. */
  async delete(namespaceId: number): Promise<boolean> {
    try {
      const org = await this.q.run(function* ({ db, t }) {
        const c = t.proxyCacheConfigs;
        const [gone] = yield* all(db.delete(c).where(eq(c.namespaceId, namespaceId)).returning({ id: c.id }));
        return gone && (yield* orgName({ db, t }, namespaceId));
      });
      if (org !== undefined) this.names.changed(org, false);
      return org !== undefined;
    } finally {
      this.cache.clear();
    }
  }
}

function* orgName({ db, t }: Pick<Scope, "db" | "t">, namespaceId: number): Program<string> {
  return (yield* one(db.select({ name: t.namespaces.name }).from(t.namespaces).where(eq(t.namespaces.id, namespaceId))))!.name;
}
