// Quota eviction in a proxy-cache organization (Quay's _check_image_upload_possible_or_prune):
// before an image is stored, when it would take the organization to its quota's Reject limit,
// the least recently pulled cached tags go first, through the registry's operations: the tag
// leaves the time machine at once and the manifests only it kept are collected, so the quota's
// usage falls now and the collector frees the blobs. The image is refused only when nothing
// evictable is left.
import type { Actor } from "../events/registryEvents";
import type { Logger } from "../log";
import { rejectBytes } from "../registry/quota";
import type { Registry } from "../registry/registry";
import type { Stores } from "../store";
import type { EvictionCandidate } from "../store/meta/proxyCacheTags";

export interface EvictionDeps {
  stores: Pick<Stores, "quotas" | "quotaUsage" | "proxyCacheTags">;
  registry: Registry;
  actor: Actor;
  clock: () => number;
  log: Logger;
}

/** Candidates read at a time. */
const PAGE = 16;

/**
 * Makes room in namespace `namespaceId` for an image naming `blobs`; false when it cannot fit
 * even with every other cached tag evicted. `keep` (the tag being stored) is never evicted.
 */
export async function makeRoom(deps: EvictionDeps, namespaceId: number, blobs: { digest: string; size: number }[], keep: { repoId: number; tag?: string }): Promise<boolean> {
  const { stores } = deps;
  const quota = await stores.quotas.ofNamespace(namespaceId);
  const limit = quota && rejectBytes(quota);
  if (limit === undefined) return true;
  const fits = async () => (await stores.quotaUsage.namespaceBytes(namespaceId)) + (await stores.quotaUsage.bytesNewToNamespace(namespaceId, blobs)) < limit;
  if (await fits()) return true;
  // Larger than the whole limit: it would not fit in an empty cache (Quay's first check).
  const whole = new Map(blobs.map((b) => [b.digest, b.size]));
  if ([...whole.values()].reduce((a, b) => a + b, 0) >= limit) return false;
  const tried = new Set<string>();
  for (;;) {
    const page = await stores.proxyCacheTags.leastRecentlyPulled(namespaceId, deps.clock(), PAGE + tried.size);
    const candidates = page.filter((c) => !(c.repoId === keep.repoId && c.tag === keep.tag) && !tried.has(`${c.repoId} ${c.tag}`));
    if (candidates.length === 0) return false;
    for (const c of candidates) {
      tried.add(`${c.repoId} ${c.tag}`);
      await evict(deps, c);
      if (await fits()) return true;
    }
  }
}

async function evict(deps: EvictionDeps, c: EvictionCandidate): Promise<void> {
  const repo = { id: c.repoId, name: c.repoName };
  // Read before the tag goes: the image's manifests (an index with its platforms).
  const candidates = await deps.stores.proxyCacheTags.imageManifests(c.repoId, c.digest);
  const removed = await deps.registry.removeTagFromTimeMachine({ repo, tag: c.tag, alive: true, actor: deps.actor });
  if (removed.kind !== "ok") return;
  const now = deps.clock();
  const windowMs = await deps.stores.proxyCacheTags.timeMachineMs(c.repoId);
  // Quay's eviction does not wait for the collector's grace either; what another tag, a
  // time-machine period or a kept index still holds stays (the step re-checks each).
  const collected = await deps.registry.collectManifests({
    repo,
    candidates,
    sinceMs: now - windowMs,
    pushedBeforeMs: now + 1,
    actor: deps.actor,
  });
  deps.log.info(`proxy cache: evicted ${c.repoName}:${c.tag} (least recently pulled) for quota; ${collected.kind === "ok" ? collected.collected.length : 0} manifests collected`);
}
