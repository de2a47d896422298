// Proxy-cache organizations (Quay's data/model/proxy_cache.py): one configuration per
// organization. Credentials are encrypted at rest (FieldCipher "proxy cache credential"); methods
// take and give plaintext, and only credentials() gives the password.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { FieldCipher } from "../fieldEncryption";
import { namespaces, proxyCacheConfigs, repositories, tags } from "../schema";

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

const columns = {
  namespaceId: proxyCacheConfigs.namespaceId,
  org: namespaces.name,
  upstreamRegistry: proxyCacheConfigs.upstreamRegistry,
  expirationS: proxyCacheConfigs.expirationS,
  insecure: proxyCacheConfigs.insecure,
};

export class ProxyCacheStore {
  /**
   * Names of the organizations that are proxy caches, or were since it was read: a superset, so a
   * name not in it is no cache without a query (every manifest GET asks). Read again after a
   * cache is made; one process makes them (a second node would need LISTEN/NOTIFY here).
   */
  private cacheOrgNames: Set<string> | undefined;
  /** forOrg's query, prepared: it runs on every manifest GET of a cache org. */
  private readonly ofOrg;

  constructor(
    private readonly db: MetaDb,
    private readonly cipher: FieldCipher,
  ) {
    this.ofOrg = db
      .select(columns)
      .from(proxyCacheConfigs)
      .innerJoin(namespaces, eq(namespaces.id, proxyCacheConfigs.namespaceId))
      .where(eq(namespaces.name, sql.placeholder("org")))
      .prepare();
  }

  private seal(v: string | null): string | null {
    return v === null || v === "" ? null : this.cipher.seal(v);
  }

  /** False when `org` is surely no proxy cache; true when it may be (forOrg tells). */
  mayBeCache(org: string): boolean {
    this.cacheOrgNames ??= new Set(
      this.db
        .select({ name: namespaces.name })
        .from(proxyCacheConfigs)
        .innerJoin(namespaces, eq(namespaces.id, proxyCacheConfigs.namespaceId))
        .all()
        .map((r) => r.name),
    );
    return this.cacheOrgNames.has(org);
  }

  /** The configuration of organization `org`, or undefined (a user, or an org that is no cache). */
  forOrg(org: string): ProxyCacheConfig | undefined {
    if (!this.mayBeCache(org)) return undefined;
    return this.ofOrg.get({ org });
  }

  /** The upstream credentials, decrypted; undefined when there are none (or they cannot be read). */
  credentials(namespaceId: number): { username: string; password: string } | undefined {
    const r = this.db.select({ u: proxyCacheConfigs.username, p: proxyCacheConfigs.password }).from(proxyCacheConfigs).where(eq(proxyCacheConfigs.namespaceId, namespaceId)).get();
    const username = r?.u ? this.cipher.open(r.u) : undefined;
    if (username === undefined) return undefined;
    return { username, password: (r!.p && this.cipher.open(r!.p)) ?? "" };
  }

  /** False when the organization already has one. */
  create(c: NewProxyCache): boolean {
    const inserted = this.db
      .insert(proxyCacheConfigs)
      .values({ ...c, username: this.seal(c.username), password: this.seal(c.password) })
      .onConflictDoNothing()
      .returning({ id: proxyCacheConfigs.id })
      .get();
    this.cacheOrgNames = undefined;
    return inserted !== undefined;
  }

  /** Quay's namespace_has_immutable_tags: a live immutable tag in the namespace (it could not be kept in step with an upstream). */
  hasImmutableTags(namespaceId: number): boolean {
    return (
      this.db
        .select({ id: tags.id })
        .from(tags)
        .innerJoin(repositories, eq(repositories.id, tags.repositoryId))
        .where(and(eq(repositories.namespaceId, namespaceId), isNull(tags.endMs), eq(tags.immutable, true)))
        .limit(1)
        .get() !== undefined
    );
  }

  /** True when there was one. */
  delete(namespaceId: number): boolean {
    return this.db.delete(proxyCacheConfigs).where(eq(proxyCacheConfigs.namespaceId, namespaceId)).returning({ id: proxyCacheConfigs.id }).all().length > 0;
  }
}
