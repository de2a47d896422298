// What `berth export` writes, worked out from the database before a byte is written: the named
// images (every live tag of a repository, one tag, or one digest), every manifest they reach
// (all platforms of an index), their referrers (signatures, SBOMs, and referrers of those), and
// every blob, each once. Reads only (SQLite's WAL lets them run beside a serving registry).
import { exportRefName, parseManifest, splitReference, type Descriptor } from "../../oci";
import type { Stores } from "../../store";
import type { RepoRow } from "../../store/meta/repositories";
import { CliError } from "../accounts";

/** An entry of index.json: a named image. */
export interface PlannedRef {
  descriptor: Descriptor;
  refName: string;
}

export interface ExportPlan {
  refs: PlannedRef[];
  /**
   * Referrers travel as blobs only, not in index.json: `podman load` refuses a layout whose
   * index.json has more than one entry, and `berth import` finds them among the blobs.
   */
  referrers: number;
  /** Manifests by digest (their bytes are small and already read). */
  manifests: Map<string, Uint8Array>;
  /** Blob digests and sizes. */
  blobs: Map<string, number>;
}

type Selection = { repo: RepoRow; tag?: string; digest?: string };

/** `--repository` values as repositories, tags and digests; no value: every repository. */
export async function selections(stores: Stores, values: string[]): Promise<Selection[]> {
  const chosen: Selection[] = [];
  if (values.length === 0) {
    for (const name of await stores.repositories.list(undefined, undefined)) chosen.push({ repo: (await stores.repositories.find(name))! });
    return chosen;
  }
  for (const value of values) {
    const split = splitReference(value);
    if (!split.ok) throw new CliError(`--repository ${split.message}`, 2);
    const repo = await stores.repositories.find(split.repository);
    if (!repo) throw new CliError(`no repository "${split.repository}"`);
    chosen.push({ repo, tag: split.digest === undefined ? split.tag : undefined, digest: split.digest });
  }
  return chosen;
}

export async function planExport(stores: Stores, chosen: Selection[]): Promise<ExportPlan> {
  const plan: ExportPlan = { refs: [], referrers: 0, manifests: new Map(), blobs: new Map() };

  /** Adds the manifest and all it reaches; its descriptor for index.json. */
  const addManifest = async (repo: RepoRow, digest: string): Promise<Descriptor> => {
    const stored = await stores.manifests.getByDigest(repo.id, digest);
    if (!stored) throw new CliError(`${repo.fullName}@${digest} is not in the registry (deleted while exporting?)`);
    const descriptor: Descriptor = { mediaType: stored.mediaType, digest: stored.digest, size: stored.size };
    if (plan.manifests.has(digest)) return descriptor;
    plan.manifests.set(digest, stored.content);
    const parsed = parseManifest(stored.content, stored.mediaType);
    if (!parsed.ok) throw new CliError(`${repo.fullName}@${digest} cannot be read: ${parsed.message}`);
    for (const blob of parsed.manifest.blobs) {
      // Foreign layers (with urls) were never pushed: clients fetch them from their urls.
      if (!blob.urls?.length) plan.blobs.set(blob.digest, blob.size);
    }
    for (const child of parsed.manifest.children) await addManifest(repo, child.digest);
    for (const referrer of await stores.manifests.referrers(repo.id, digest)) {
      if (!plan.manifests.has(referrer.digest)) plan.referrers++;
      await addManifest(repo, referrer.digest);
    }
    return descriptor;
  };

  const named = new Set<string>();
  const addNamed = async (repo: RepoRow, ref: { tag: string } | { digest: string }, digest: string) => {
    const refName = exportRefName(repo.fullName, ref);
    if (named.has(refName)) return; // asked for twice (team/app and team/app:v1)
    named.add(refName);
    plan.refs.push({ descriptor: await addManifest(repo, digest), refName });
  };

  for (const { repo, tag, digest } of chosen) {
    if (digest !== undefined) {
      await addNamed(repo, { digest }, digest);
      continue;
    }
    const tags = tag !== undefined ? [tag] : await stores.tags.list(repo.id, undefined, undefined);
    for (const t of tags) {
      const found = await stores.manifests.getByTag(repo.id, t);
      if (!found) throw new CliError(`no tag "${t}" in ${repo.fullName}`);
      await addNamed(repo, { tag: t }, found.digest);
    }
  }
  return plan;
}
