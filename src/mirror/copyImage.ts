// Copies one image from the upstream into the mirror repository, through the registry's
// operations as the mirror's robot (guards, quotas, immutability, audit and events apply as to any
// push): blobs first, then an index's children, then the manifest, then what refers to it.
// Everything is content-addressed and re-checked before it is fetched, so a sync cut off anywhere
// resumes by copying only what is still missing.
import type { Actor, RepoRef } from "../events/registryEvents";
import { parseDigest, parseManifest, type Descriptor, type ParsedManifest } from "../oci";
import { manifestRow } from "../registry/manifestRow";
import type { Registry } from "../registry/registry";
import type { Stores } from "../store";
import type { FetchedManifest, UpstreamClient } from "../upstream";
import { platformsToCopy } from "./architectureFilter";

export interface CopyContext {
  registry: Registry;
  stores: Pick<Stores, "manifests" | "blobLinks">;
  client: UpstreamClient;
  /** The upstream repository path. */
  upstreamRepo: string;
  repo: RepoRef;
  actor: Actor;
  signal: AbortSignal;
  /** Counters for the sync's summary. */
  copied: { manifests: number; blobs: number; bytes: number };
}

export class CopyFailed extends Error {}

const describe = (outcome: { kind: string; [k: string]: unknown }) =>
  outcome.kind === "quotaExceeded" ? "Quota has been exceeded on namespace" : `${outcome.kind}${outcome.digest ? ` ${outcome.digest}` : ""}${outcome.tag ? ` (tag ${outcome.tag})` : ""}`;

async function copyBlob(c: CopyContext, d: Descriptor): Promise<void> {
  if ((await c.stores.blobLinks.linkedSize(c.repo.id, d.digest)) !== undefined) return;
  c.signal.throwIfAborted();
  const digest = parseDigest(d.digest);
  if (!digest.ok) throw new CopyFailed(`${d.digest} is not a digest`);
  const body = await c.client.blob(c.upstreamRepo, d.digest, d.size);
  const outcome = await c.registry.putMonolithic({ repo: c.repo, digest: digest.digest, body, actor: c.actor });
  if (outcome.kind !== "ok") throw new CopyFailed(`blob ${d.digest}: ${describe(outcome as any)}`);
  c.copied.blobs++;
  c.copied.bytes += d.size;
}

/** The manifest `digest` names, copied if the repository does not have it yet. */
async function copyByDigest(c: CopyContext, digest: string): Promise<void> {
  if (await c.stores.manifests.getByDigest(c.repo.id, digest)) return;
  const fetched = await c.client.manifest(c.upstreamRepo, digest);
  if (!fetched) throw new CopyFailed(`the upstream has no manifest ${digest}`);
  await copyManifest(c, fetched);
}

/** Stores `fetched` (with `tag`, moving it), after everything it names. */
export async function copyManifest(c: CopyContext, fetched: FetchedManifest, tag?: string): Promise<void> {
  c.signal.throwIfAborted();
  const parsed = parseManifest(fetched.bytes, fetched.mediaType);
  if (!parsed.ok) throw new CopyFailed(`manifest ${fetched.digest}: ${parsed.message}`);
  const m = parsed.manifest;
  const present = (await c.stores.manifests.getByDigest(c.repo.id, fetched.digest)) !== undefined;
  if (!present) {
    for (const child of m.children) await copyByDigest(c, child.digest);
    // A few blobs at a time: layers are fetched side by side, as clients pull them.
    const blobs = m.blobs.filter((d) => !d.urls?.length);
    for (let i = 0; i < blobs.length; i += 3) await Promise.all(blobs.slice(i, i + 3).map((d) => copyBlob(c, d)));
  }
  if (present && tag === undefined) return;
  await pushCopy(c, fetched, m, tag, present, false);
}

async function pushCopy(c: CopyContext, fetched: FetchedManifest, m: ParsedManifest, tag: string | undefined, present: boolean, sparse: boolean): Promise<void> {
  const outcome = await c.registry.pushManifest({
    repo: c.repo,
    manifest: manifestRow(fetched.digest, fetched.bytes, m),
    requiredBlobs: m.blobs.filter((d) => !d.urls?.length).map((d) => d.digest),
    onDemand: sparse,
    tag,
    actor: c.actor,
  });
  if (outcome.kind !== "ok") throw new CopyFailed(`manifest ${fetched.digest}${tag ? ` (tag ${tag})` : ""}: ${describe(outcome as any)}`);
  if (!present) c.copied.manifests++;
}

/** Configs read to learn an image's architecture are at most this large. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The architecture an image's config names ("" when it names none or cannot be read). */
async function architectureOf(c: CopyContext, m: ParsedManifest): Promise<string> {
  const config = m.blobs[0];
  if (!config || config.size > MAX_CONFIG_BYTES) return "";
  const text = await new Response(await c.client.blob(c.upstreamRepo, config.digest, config.size)).text();
  try {
    const arch = (JSON.parse(text) as { architecture?: unknown }).architecture;
    return typeof arch === "string" ? arch : "";
  } catch {
    return "";
  }
}

/**
 * Copies the image a tag names. With an architecture filter (Quay's copy_filtered_architectures):
 * of an index only the listed platforms are copied and the index itself is stored as it is
 * upstream, a sparse index (Quay's FEATURE_SPARSE_INDEX; its other platforms answer 404); a
 * single image of an architecture not listed is skipped (false), as Quay skips it.
 */
export async function copyTag(c: CopyContext, fetched: FetchedManifest, tag: string, architectures: readonly string[]): Promise<boolean> {
  if (architectures.length === 0) {
    await copyManifest(c, fetched, tag);
    return true;
  }
  c.signal.throwIfAborted();
  const parsed = parseManifest(fetched.bytes, fetched.mediaType);
  if (!parsed.ok) throw new CopyFailed(`manifest ${fetched.digest}: ${parsed.message}`);
  const m = parsed.manifest;
  if (m.children.length === 0) {
    // Here already: it passed the filter when it was copied.
    const present = (await c.stores.manifests.getByDigest(c.repo.id, fetched.digest)) !== undefined;
    if (!present && !architectures.includes(await architectureOf(c, m))) return false;
    await copyManifest(c, fetched, tag);
    return true;
  }
  const platforms = platformsToCopy(m.children, architectures);
  if ("error" in platforms) throw new CopyFailed(platforms.error);
  // Checked each sync: a platform added to the filter is copied though the index is unchanged.
  for (const child of platforms.copy) await copyByDigest(c, child.digest);
  await pushCopy(c, fetched, m, tag, (await c.stores.manifests.getByDigest(c.repo.id, fetched.digest)) !== undefined, true);
  return true;
}

/** What refers to `digest` upstream (signatures, SBOMs), copied by digest (a referrer of a referrer too, one level more). */
export async function copyReferrers(c: CopyContext, digest: string, depth = 0): Promise<void> {
  for (const r of await c.client.referrers(c.upstreamRepo, digest)) {
    await copyByDigest(c, r.digest);
    if (depth < 1) await copyReferrers(c, r.digest, depth + 1);
  }
}
