// The proxies a repository mirror reaches its upstream through (Quay's
// external_registry_config.proxy: http_proxy, https_proxy, no_proxy), stored as JSON encrypted
// with the mirror's credentials (FieldCipher "mirror credential": a proxy URL may carry a login).
import { eq } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { FieldCipher } from "../fieldEncryption";
import { repoMirrors } from "../schema";

export type ProxyKey = "http_proxy" | "https_proxy" | "no_proxy";
export type MirrorProxy = Partial<Record<ProxyKey, string | null>>;

export class MirrorProxyStore {
  constructor(
    private readonly db: MetaDb,
    private readonly cipher: FieldCipher,
  ) {}

  /** The repository's mirror's proxies, decrypted ({} when none, or when they cannot be read). */
  get(repositoryId: number): MirrorProxy {
    const sealed = this.db.select({ p: repoMirrors.proxy }).from(repoMirrors).where(eq(repoMirrors.repositoryId, repositoryId)).get()?.p;
    const text = sealed ? this.cipher.open(sealed) : undefined;
    if (!text) return {};
    try {
      return JSON.parse(text) as MirrorProxy;
    } catch {
      return {};
    }
  }

  /** Sets the keys given (Quay changes each on its own); the keys whose value changed. */
  change(repositoryId: number, patch: MirrorProxy): ProxyKey[] {
    const before = this.get(repositoryId);
    const changed = (Object.keys(patch) as ProxyKey[]).filter((k) => (patch[k] ?? null) !== (before[k] ?? null));
    if (changed.length === 0) return [];
    const next: MirrorProxy = { ...before, ...patch };
    this.db.update(repoMirrors).set({ proxy: this.cipher.seal(JSON.stringify(next)) }).where(eq(repoMirrors.repositoryId, repositoryId)).run();
    return changed;
  }
}
