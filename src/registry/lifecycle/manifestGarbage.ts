// Which manifests of one repository are garbage: the mark phase of the collector, pure.
//
// A manifest is kept when it is a root (a live or time-machine tag period points at it, or it
// was pushed within the grace period), when a kept index lists it, or when its subject is kept
// (referrers live as long as their subject). Everything else is garbage. The answer is ordered
// so that whatever could keep a manifest comes before it (an index before its children, a
// subject before its referrers): deleted in that order, each deletion's re-check finds its
// keepers already gone, and one pass frees a whole graph.

export interface ManifestNode {
  id: number;
  digest: string;
  subjectDigest: string | null;
  root: boolean;
  /** Digests of the manifests it lists (an index); [] for an image. */
  children: string[];
}

export function manifestGarbage(nodes: readonly ManifestNode[]): ManifestNode[] {
  const byDigest = new Map<string, ManifestNode>();
  for (const n of nodes) byDigest.set(n.digest, n);
  const referrers = new Map<string, ManifestNode[]>();
  for (const n of nodes) {
    if (n.subjectDigest === null) continue;
    const list = referrers.get(n.subjectDigest) ?? [];
    list.push(n);
    referrers.set(n.subjectDigest, list);
  }
  /** What `n` keeps while it is kept. */
  const keptBy = (n: ManifestNode): ManifestNode[] => {
    const out: ManifestNode[] = [];
    for (const c of n.children) {
      const child = byDigest.get(c);
      if (child) out.push(child);
    }
    return out.concat(referrers.get(n.digest) ?? []);
  };

  const kept = new Set<ManifestNode>();
  const queue = nodes.filter((n) => n.root);
  for (const n of queue) kept.add(n);
  while (queue.length) {
    for (const next of keptBy(queue.pop()!)) {
      if (!kept.has(next)) {
        kept.add(next);
        queue.push(next);
      }
    }
  }

  // Kahn's order over the garbage: a manifest comes after every garbage manifest that keeps it.
  const garbage = nodes.filter((n) => !kept.has(n));
  const keepers = new Map<ManifestNode, number>(garbage.map((n) => [n, 0]));
  for (const n of garbage) for (const next of keptBy(n)) if (keepers.has(next)) keepers.set(next, keepers.get(next)! + 1);
  const ready = garbage.filter((n) => keepers.get(n) === 0);
  const ordered: ManifestNode[] = [];
  const placed = new Set<ManifestNode>();
  for (let i = 0; i < ready.length; i++) {
    const n = ready[i]!;
    ordered.push(n);
    placed.add(n);
    for (const next of keptBy(n)) {
      if (!keepers.has(next)) continue;
      const left = keepers.get(next)! - 1;
      keepers.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  // Digests make cycles impossible (a manifest cannot name its own digest, even through others);
  // should a store hold one anyway, its members still come last rather than being lost.
  for (const n of garbage) if (!placed.has(n)) ordered.push(n);
  return ordered;
}
