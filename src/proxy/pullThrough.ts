// Pulls through a proxy-cache organization (Quay's ProxyModel): a manifest asked of
// `<org>/<path>` is served from the cache while fresh, else fetched from the upstream and stored
// through the registry's operations (the repository created on first pull); blobs come on demand,
// streamed to the first client while they are stored (a tee into an upload), each fetched from
// the upstream once however many clients ask at the same time. When the upstream cannot be
// reached, what is cached is served while its tag has not expired (Quay's expiry: a cached tag
// lives expiration_s past its last pull, recentPulls.ts). Before an image is stored, the least
// recently pulled images make room in the organization's quota (eviction.ts).
import type { Actor, RepoRef } from "../events/registryEvents";
import type { Logger } from "../log";
import { parseDigest, parseManifest } from "../oci";
import { manifestRow } from "../registry/manifestRow";
import type { Refusal } from "../registry/outcomes";
import type { Registry } from "../registry/registry";
import type { Stores } from "../store";
import type { ProxyCacheConfig } from "../store/meta/proxyCaches";
import { UpstreamClient, UpstreamError, type Resolver, type UpstreamPolicy } from "../upstream";
import { makeRoom } from "./eviction";
import { RecentPulls } from "./recentPulls";
import { SingleFlight } from "./singleFlight";
import { upstreamRepository } from "./upstreamPath";

export interface PullThroughDeps {
  registry: Registry;
  stores: Pick<Stores, "proxyCaches" | "proxyCacheTags" | "repositories" | "manifests" | "blobLinks" | "quotas" | "quotaUsage">;
  policy: UpstreamPolicy;
  maxManifestBytes: number;
  log: Logger;
  resolve?: Resolver;
  clock?: () => number;
}

/**
 * Why a pull through the cache failed: the upstream could not give what nothing cached has, or
 * (with `refusal`) the registry refused to store it (a quota nothing evictable could make room in).
 */
export class PullThroughFailed extends Error {
  constructor(
    message: string,
    readonly refusal?: Refusal,
  ) {
    super(message);
  }
}

const MAX_KNOWN_SIZES = 100_000;

/** The system, as the proxy cache: the one writer a cache org's repositories take (src/registry/guards.ts). */
const PROXY_CACHE_ACTOR: Actor = { proxyCache: true };

interface Target {
  cache: ProxyCacheConfig;
  client: UpstreamClient;
  upstreamRepo: string;
}

export class PullThrough {
  private readonly manifests = new SingleFlight<void>();
  private readonly blobs = new SingleFlight<void>();
  /** Pulls of cached tags, written in batches. */
  readonly recentPulls: RecentPulls;
  private readonly clock: () => number;
  /**
   * Sizes of the blobs the cached manifests name ("repoId digest" → bytes), from their
   * descriptors: a streamed answer must declare its length and an upstream may send none. Held
   * until the blob is stored; a restart forgets them (those blobs are then stored before served).
   */
  private readonly sizes = new Map<string, number>();

  constructor(private readonly deps: PullThroughDeps) {
    this.clock = deps.clock ?? Date.now;
    this.recentPulls = new RecentPulls({ stores: deps.stores, registry: deps.registry, actor: PROXY_CACHE_ACTOR, log: deps.log });
  }

  /** Whether `org` is a proxy-cache organization. */
  async isCache(org: string): Promise<boolean> {
    return (await this.deps.stores.proxyCaches.forOrg(org)) !== undefined;
  }

  private async target(name: string, known?: ProxyCacheConfig): Promise<Target | undefined> {
    const slash = name.indexOf("/");
    const cache = known ?? (await this.deps.stores.proxyCaches.forOrg(name.slice(0, slash)));
    if (!cache) return undefined;
    const up = upstreamRepository(cache.upstreamRegistry, name.slice(slash + 1));
    if ("error" in up) throw new PullThroughFailed(up.error);
    const credentials = await this.deps.stores.proxyCaches.credentials(cache.namespaceId);
    const client = new UpstreamClient({
      host: up.host,
      credentials,
      maxManifestBytes: this.deps.maxManifestBytes,
      policy: this.deps.policy,
      verifyTls: !cache.insecure,
      // Quay's `insecure`: the upstream is spoken to over plain HTTP.
      scheme: cache.insecure ? "http" : "https",
      resolve: this.deps.resolve,
    });
    return { cache, client, upstreamRepo: up.repository };
  }

  /**
   * Makes the manifest `reference` of `name` (ns/repo) present and fresh when `name` is in a cache
   * org; undefined, at once, when it is surely not (the memory of cache orgs says so: the caller's
   * pull stays synchronous). A promise otherwise, which also settles when the memory, read again
   * after a write, finds no cache org after all.
   */
  manifest(name: string, reference: string): Promise<void> | undefined {
    const org = name.slice(0, name.indexOf("/"));
    if (this.deps.stores.proxyCaches.mayBeCache(org) === false) return undefined;
    return this.freshManifest(org, name, reference);
  }

  private async freshManifest(org: string, name: string, reference: string): Promise<void> {
    const cache = await this.deps.stores.proxyCaches.forOrg(org);
    if (!cache) return;
    // A fresh hit is answered without an upstream client (credentials are decrypted only to ask).
    if (await this.servedFromCache(cache, name, reference)) return;
    const t = (await this.target(name, cache))!;
    await this.manifests.do(`${name} ${reference}`, () => this.refreshManifest(t, name, reference));
  }

  /** Whether the cached copy answers without asking the upstream (a digest, or a tag checked within expiration_s; the pull is recorded). */
  private async servedFromCache(cache: ProxyCacheConfig, name: string, reference: string): Promise<boolean> {
    const { stores } = this.deps;
    const repo = await stores.repositories.find(name);
    if (!repo) return false;
    // A digest names fixed bytes: once cached, never asked again.
    if (parseDigest(reference).ok) return (await stores.manifests.getByDigest(repo.id, reference)) !== undefined;
    // A tag that expired is not cached any more (the store reads only live, unexpired tags).
    if (!(await stores.manifests.getByTag(repo.id, reference))) return false;
    const checked = await stores.proxyCacheTags.checkedMs(repo.id, reference);
    const now = this.clock();
    if (checked === undefined || now - checked >= cache.expirationS * 1000) return false;
    this.recentPulls.record({ repoId: repo.id, repoName: repo.fullName, tag: reference, ms: now, expiresMs: this.expiryAfter(cache, now) });
    return true;
  }

  private async refreshManifest(t: Target, name: string, reference: string): Promise<void> {
    // Another pull may have refreshed it while this one waited.
    if (await this.servedFromCache(t.cache, name, reference)) return;
    const { stores } = this.deps;
    const repo = await stores.repositories.find(name);
    const byDigest = parseDigest(reference).ok;
    const cached = repo && (await (byDigest ? stores.manifests.getByDigest(repo.id, reference) : stores.manifests.getByTag(repo.id, reference)));
    const now = this.clock();
    let fetched;
    try {
      fetched = await t.client.manifest(t.upstreamRepo, reference);
    } catch (e) {
      if (cached) {
        this.deps.log.info(`proxy cache ${name}:${reference}: upstream unavailable, serving the cached copy: ${(e as Error).message}`);
        // Counted as a pull, but its expiry is not renewed: Quay renews only what the upstream confirmed.
        this.recentPulls.record({ repoId: repo.id, repoName: repo.fullName, tag: reference, ms: now });
        return;
      }
      throw new PullThroughFailed(`upstream: ${(e as Error).message}`);
    }
    // Gone upstream: what is cached (if anything) is still served until it expires.
    if (!fetched) {
      if (cached) this.recentPulls.record({ repoId: repo.id, repoName: repo.fullName, tag: reference, ms: now });
      return;
    }
    const row: RepoRef = repo ? { id: repo.id, name: repo.fullName } : await this.createRepository(name);
    if (cached?.digest !== fetched.digest) await this.store(t, row, fetched, byDigest ? undefined : reference);
    if (byDigest) return;
    // Checked and confirmed: its expiry runs from now (Quay's retarget_tag / set_tag_end_ms).
    await stores.proxyCacheTags.markChecked(row.id, reference, now);
    const expiresMs = this.expiryAfter(t.cache, now);
    if (expiresMs !== undefined) await this.deps.registry.renewTagExpiry({ repo: row, tag: reference, expiresMs, actor: PROXY_CACHE_ACTOR });
  }

  /** A cached tag's expiry after a pull at `ms`; none when expiration_s is 0 (Quay: such tags never expire). */
  private expiryAfter(cache: ProxyCacheConfig, ms: number): number | undefined {
    return cache.expirationS > 0 ? ms + cache.expirationS * 1000 : undefined;
  }

  private async createRepository(name: string): Promise<RepoRef> {
    const made = await this.deps.registry.createRepository({ fullName: name, visibility: "private", actor: PROXY_CACHE_ACTOR });
    if (made.kind !== "ok" && made.kind !== "exists") throw new PullThroughFailed(`cannot create ${name}: ${made.kind}`);
    return { id: made.repo.id, name: made.repo.fullName };
  }

  private async store(t: Target, repo: RepoRef, fetched: { digest: string; mediaType: string; bytes: Uint8Array }, tag: string | undefined): Promise<void> {
    const parsed = parseManifest(fetched.bytes, fetched.mediaType);
    if (!parsed.ok) throw new PullThroughFailed(`upstream manifest ${fetched.digest}: ${parsed.message}`);
    const m = parsed.manifest;
    // An image (not an index, whose platforms come one by one) must fit the quota; the least
    // recently pulled make room, ordered by pulls written so far.
    if (m.children.length === 0 && m.blobs.length > 0) {
      await this.recentPulls.flush();
      const deps = { ...this.deps, actor: PROXY_CACHE_ACTOR, clock: this.clock };
      if (!(await makeRoom(deps, t.cache.namespaceId, m.blobs, { repoId: repo.id, tag }))) {
        throw new PullThroughFailed(`${fetched.digest} does not fit the quota of ${t.cache.org}`, { kind: "quotaExceeded", namespace: t.cache.org });
      }
    }
    if (this.sizes.size > MAX_KNOWN_SIZES) this.sizes.clear();
    for (const d of m.blobs) this.sizes.set(`${repo.id} ${d.digest}`, d.size);
    const outcome = await this.deps.registry.pushManifest({
      repo,
      manifest: manifestRow(fetched.digest, fetched.bytes, m),
      // Blobs and an index's children come on demand, when a client asks for them.
      requiredBlobs: [],
      onDemand: true,
      tag,
      actor: PROXY_CACHE_ACTOR,
    });
    if (outcome.kind === "quotaExceeded") throw new PullThroughFailed(`storing ${fetched.digest}: quota exceeded`, outcome);
    if (outcome.kind !== "ok") throw new PullThroughFailed(`storing ${fetched.digest}: ${outcome.kind}`);
  }

  /**
   * For a blob of a cache org's repository that is not stored yet: its bytes as they arrive from
   * the upstream (stored at the same time) with their length, or, when another pull is already
   * fetching it, the request is a HEAD, or the upstream declares no length (a streamed answer
   * must declare one), undefined once it is stored. Undefined at once for anything else.
   */
  async blob(name: string, digest: string, head: boolean): Promise<{ body: ReadableStream<Uint8Array>; length: number } | undefined> {
    const { stores } = this.deps;
    const repo = await stores.repositories.find(name);
    if (!repo || (await stores.blobLinks.linkedSize(repo.id, digest)) !== undefined) return undefined;
    const t = await this.target(name);
    const parsed = parseDigest(digest);
    if (!t || !parsed.ok) return undefined;
    const key = `${repo.id} ${digest}`;
    // Another cached repository of the organization has it (a shared base layer): linked here, not fetched again.
    const holder = await stores.blobLinks.sameNamespaceHolder(repo.id, digest);
    if (holder && (await this.deps.registry.mountBlob({ repo: { id: repo.id, name: repo.fullName }, from: { id: holder.id, name: holder.fullName }, digest, actor: PROXY_CACHE_ACTOR })).kind === "ok") {
      this.sizes.delete(key);
      return undefined;
    }
    const running = this.blobs.current(key);
    if (running) {
      await running.catch(() => {});
      return undefined;
    }
    let started!: (s: { body: ReadableStream<Uint8Array>; length: number | undefined }) => void;
    let failed!: (e: unknown) => void;
    const start = new Promise<{ body: ReadableStream<Uint8Array>; length: number | undefined }>((res, rej) => ((started = res), (failed = rej)));
    const flight = this.blobs.do(key, async () => {
      let opened: { body: ReadableStream<Uint8Array>; length: number | undefined };
      try {
        opened = await t.client.openBlob(t.upstreamRepo, digest, this.sizes.get(key));
      } catch (e) {
        failed(e);
        throw e;
      }
      // The upload reads one branch, the client the other: the client never waits for the whole layer.
      // Both branches of a tee hand out the same chunks, and an upload frees each chunk it has
      // written (releaseChunk): the store's branch gets copies, or a client slower than the
      // store would be sent emptied chunks.
      const [toClient, shared] = opened.body.tee();
      const toStore = shared.pipeThrough(copiedChunks());
      started({ body: toClient, length: opened.length });
      const outcome = await this.deps.registry.putMonolithic({ repo: { id: repo.id, name: repo.fullName }, digest: parsed.digest, body: toStore, actor: PROXY_CACHE_ACTOR });
      if (outcome.kind !== "ok") throw new PullThroughFailed(`storing blob ${digest}: ${outcome.kind}`);
      this.sizes.delete(key);
    });
    void flight.catch((e) => this.deps.log.error(`proxy cache ${name}@${digest}: ${(e as Error).message}`));
    let opened: { body: ReadableStream<Uint8Array>; length: number | undefined };
    try {
      opened = await start;
    } catch (e) {
      throw new PullThroughFailed(`upstream: ${e instanceof UpstreamError ? e.message : String(e)}`);
    }
    if (!head && opened.length !== undefined) return { body: opened.body, length: opened.length };
    await opened.body.cancel().catch(() => {});
    await flight.catch(() => {});
    return undefined;
  }
}

/** Each chunk passed on as a copy of its own. */
function copiedChunks(): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({ transform: (chunk, controller) => controller.enqueue(chunk.slice()) });
}
