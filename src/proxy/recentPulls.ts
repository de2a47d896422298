// Pulls of cached tags, remembered in memory and written in batches (never a write per GET): the
// time each tag was last pulled (quota eviction takes the least recently pulled first) and, as
// Quay renews a cached tag's lifetime_end on each pull it serves, its expiry moved to the pull
// plus expiration_s.
import type { Actor } from "../events/registryEvents";
import type { Logger } from "../log";
import type { Registry } from "../registry/registry";
import type { Stores } from "../store";

export interface PullRecord {
  repoId: number;
  repoName: string;
  tag: string;
  ms: number;
  /** The tag's new expiry, when the pull renews it (not when the upstream failed: Quay's rule). */
  expiresMs?: number;
}

/** Pending pulls are written at least this often, and at once past MAX_PENDING. */
export const FLUSH_MS = 5_000;
const MAX_PENDING = 10_000;

export class RecentPulls {
  private pending = new Map<string, PullRecord>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { stores: Pick<Stores, "proxyCacheTags">; registry: Registry; actor: Actor; log: Logger }) {}

  record(r: PullRecord): void {
    const key = `${r.repoId} ${r.tag}`;
    const before = this.pending.get(key);
    this.pending.set(key, { ...r, expiresMs: r.expiresMs ?? before?.expiresMs });
    if (this.pending.size >= MAX_PENDING) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
    this.timer?.unref?.();
  }

  /** Writes what is pending (eviction calls it first, so its order is current). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: PullRecord[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      await this.deps.stores.proxyCacheTags.recordPulls(batch.map((r) => ({ repoId: r.repoId, name: r.tag, ms: r.ms })));
      const renewals = batch.flatMap((r) => (r.expiresMs === undefined ? [] : [{ repo: { id: r.repoId, name: r.repoName }, tag: r.tag, expiresMs: r.expiresMs }]));
      if (renewals.length === 0) return;
      const all = await this.deps.registry.renewTagExpiries({ renewals, actor: this.deps.actor });
      // Refused as a whole (a repository deleted since its pull): each on its own, so the others still renew.
      if (all.kind !== "ok") for (const r of renewals) await this.deps.registry.renewTagExpiry({ ...r, actor: this.deps.actor });
    } catch (e) {
      this.deps.log.error(`proxy cache: recording ${batch.length} pulls failed: ${(e as Error).message}`);
    }
  }
}
