// The proxies a repository mirror reaches its upstream through (Quay's
// external_registry_config.proxy: http_proxy, https_proxy, no_proxy), stored as JSON encrypted
// with the mirror's credentials (FieldCipher "mirror credential": a proxy URL may carry a login).
import { eq } from "drizzle-orm";
import type { FieldCipher } from "../fieldEncryption";
import { changes, one, oneLocked, type Runner } from "../dialect/program";

export type ProxyKey = "http_proxy" | "https_proxy" | "no_proxy";
export type MirrorProxy = Partial<Record<ProxyKey, string | null>>;

export class MirrorProxyStore {
  constructor(
    private readonly q: Runner,
    private readonly cipher: FieldCipher,
  ) {}

  /** The repository's mirror's proxies, decrypted ({} when none, or when they cannot be read). */
  async get(repositoryId: number): Promise<MirrorProxy> {
    const row = await this.q.run(function* ({ db, t }) {
      return yield* one(db.select({ p: t.repoMirrors.proxy }).from(t.repoMirrors).where(eq(t.repoMirrors.repositoryId, repositoryId)));
    });
    return this.open(row?.p ?? null);
  }

  /** Sets the keys given (Quay changes each on its own); the keys whose value changed. */
  change(repositoryId: number, patch: MirrorProxy): Promise<ProxyKey[]> {
    const { cipher } = this;
    const open = (sealed: string | null) => this.open(sealed);
    return this.q.transaction(function* ({ db, t }) {
      const m = t.repoMirrors;
      // Locked: two changes of different keys at once on PostgreSQL each keep the other's.
      const row = yield* oneLocked(db.select({ p: m.proxy }).from(m).where(eq(m.repositoryId, repositoryId)));
      const before = open(row?.p ?? null);
      const changed = (Object.keys(patch) as ProxyKey[]).filter((k) => (patch[k] ?? null) !== (before[k] ?? null));
      if (changed.length === 0) return [];
      const next: MirrorProxy = { ...before, ...patch };
      yield* changes(db.update(m).set({ proxy: cipher.seal(JSON.stringify(next)) }).where(eq(m.repositoryId, repositoryId)));
      return changed;
    });
  }

  private open(sealed: string | null): MirrorProxy {
    const text = sealed ? this.cipher.open(sealed) : undefined;
    if (!text) return {};
    try {
      return JSON.parse(text) as MirrorProxy;
    } catch {
      return {};
    }
  }
}
