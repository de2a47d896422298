// One sync of a repository mirror (Quay's repomirrorworker perform_mirror): list the upstream's
// tags, keep those the rule matches, copy each image that is missing or moved, end the local tags
// the upstream no longer has, and say so in the audit log and notifications.
import type { Actor, RepoRef } from "../events/registryEvents";
import type { Logger } from "../log";
import type { Registry } from "../registry/registry";
import type { Stores } from "../store";
import type { MirrorConfig } from "../store/meta/mirrors";
import { parseUpstreamReference, UpstreamClient, UpstreamError, type Resolver, type UpstreamPolicy } from "../upstream";
import { copyReferrers, copyTag, type CopyContext } from "./copyImage";
import { matchesTagGlobs } from "./tagGlob";

export interface SyncDeps {
  registry: Registry;
  stores: Pick<Stores, "mirrors" | "mirrorProxies" | "manifests" | "blobLinks" | "tags">;
  policy: UpstreamPolicy;
  maxManifestBytes: number;
  log: Logger;
  resolve?: Resolver;
}

export type SyncResult = { ok: true; tags: string[]; summary: string } | { ok: false; error: string; tags: string[] };

/** Tags copied side by side. */
const TAG_PARALLELISM = 4;

/** verify_tls off: HTTPS without checking the certificate, or plain HTTP when the upstream speaks no TLS (Docker's insecure registries). */
async function connect(deps: SyncDeps, mirror: MirrorConfig, host: string, upstreamRepo: string, signal: AbortSignal): Promise<{ client: UpstreamClient; tags: string[] }> {
  const proxy = await deps.stores.mirrorProxies.get(mirror.repositoryId);
  const options = {
    host,
    credentials: await deps.stores.mirrors.credentials(mirror.id),
    proxy: { http: proxy.http_proxy, https: proxy.https_proxy, noProxy: proxy.no_proxy },
    maxManifestBytes: deps.maxManifestBytes,
    policy: deps.policy,
    verifyTls: mirror.verifyTls,
    resolve: deps.resolve,
    signal,
  };
  const client = new UpstreamClient({ ...options, scheme: "https" });
  try {
    return { client, tags: await client.tags(upstreamRepo) };
  } catch (e) {
    // Only a failure to speak TLS at all falls back (an answer over HTTPS is the answer).
    if (mirror.verifyTls || !(e instanceof UpstreamError) || e.status !== undefined || /refused:/.test(e.message)) throw e;
    const plain = new UpstreamClient({ ...options, scheme: "http" });
    return { client: plain, tags: await plain.tags(upstreamRepo) };
  }
}

export async function syncMirror(deps: SyncDeps, mirror: MirrorConfig, signal: AbortSignal): Promise<SyncResult> {
  const repo: RepoRef = { id: mirror.repositoryId, name: mirror.repository };
  const rule = `'${mirror.externalReference}' with tag pattern '${mirror.tagGlobs.join(",")}'`;
  const done: string[] = [];
  deps.registry.mirrorSyncReported({ repo, phase: "started", message: rule });
  const fail = (error: string): SyncResult => {
    deps.registry.mirrorSyncReported({ repo, phase: "failed", message: `${rule}: ${error}`, tags: done.join(", ") });
    return { ok: false, error, tags: done };
  };
  if (!mirror.robot) return fail(`Repository ${mirror.repository} is configured for mirroring but no robot is assigned.`);
  const reference = parseUpstreamReference(mirror.externalReference);
  if ("error" in reference) return fail(reference.error);
  const actor: Actor = { subject: { kind: "robot", name: mirror.robot }, userAgent: "Berth-Mirror" };
  const copied = { manifests: 0, blobs: 0, bytes: 0 };
  try {
    const { client, tags } = await connect(deps, mirror, reference.host, reference.repository, signal);
    const wanted = tags.filter((t) => matchesTagGlobs(t, mirror.tagGlobs)).sort();
    const c: CopyContext = { registry: deps.registry, stores: deps.stores, client, upstreamRepo: reference.repository, repo, actor, signal, copied };
    const queue = [...wanted];
    const worker = async () => {
      for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
        signal.throwIfAborted();
        const fetched = await client.manifest(reference.repository, tag);
        if (!fetched) continue; // deleted upstream since it was listed
        const local = await deps.stores.manifests.getByTag(repo.id, tag);
        const filtered = mirror.architectureFilter.length > 0;
        // A single image of an architecture the filter leaves out is skipped (Quay's rule).
        if ((local?.digest !== fetched.digest || filtered) && !(await copyTag(c, fetched, tag, mirror.architectureFilter))) continue;
        await copyReferrers(c, fetched.digest);
        done.push(tag);
      }
    };
    await Promise.all(Array.from({ length: Math.min(TAG_PARALLELISM, wanted.length) }, worker));
    // Quay's delete_obsolete_tags: a local tag the upstream does not offer (any more) ends.
    const keep = new Set(wanted);
    let ended = 0;
    for (const tag of await deps.stores.tags.list(repo.id, undefined, undefined)) {
      if (keep.has(tag)) continue;
      signal.throwIfAborted();
      const outcome = await deps.registry.deleteTag({ repo, tag, actor });
      if (outcome.kind === "ok") ended++;
    }
    const summary = `${done.length} tags; copied ${copied.manifests} manifests, ${copied.blobs} blobs (${copied.bytes} bytes); ended ${ended} tags`;
    deps.registry.mirrorSyncReported({ repo, phase: "success", message: rule, tags: done.length ? done.join(", ") : "No tags matched" });
    return { ok: true, tags: done, summary };
  } catch (e) {
    const why = signal.aborted ? String((signal.reason as Error)?.message ?? signal.reason ?? "aborted") : ((e as Error)?.message ?? String(e));
    return fail(why);
  }
}
