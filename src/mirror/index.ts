// Repository mirroring, assembled: the worker with the server's settings, and what API v1 asks
// beyond the store (src/v1/mirrorActions.ts): whether an upstream may be mirrored, and a sync now.
import type { Config } from "../config";
import type { Logger } from "../log";
import type { Registry } from "../registry/registry";
import type { Stores } from "../store";
import { invalidProxyUrl, parseUpstreamReference, refusedUpstreamHost, type Resolver, type UpstreamPolicy } from "../upstream";
import { invalidArchitectures } from "./architectureFilter";
import { MirrorWorker } from "./worker";

export interface Mirrors {
  worker: MirrorWorker;
  /** Why `reference` cannot be mirrored (not a reference, or an address the policy refuses), or undefined. */
  checkReference(reference: string): string | undefined;
  /** Why a proxy address cannot be used (not an http(s) URL of a host, or an address the policy refuses), or undefined. */
  checkProxy(url: string): string | undefined;
  /** Why an architecture_filter is invalid (Quay's message), or undefined. */
  checkArchitectures(filter: readonly string[] | null | undefined): string | undefined;
  /** Looks for due mirrors now. */
  kick(): void;
}

export interface MirrorOptions {
  /** How upstream host names resolve (default: the system resolver). */
  resolve?: Resolver;
}

export function setUpMirrors(deps: { registry: Registry; stores: Stores; config: Config; log: Logger }, opts: MirrorOptions = {}): Mirrors {
  const policy: UpstreamPolicy = { allowLoopback: deps.config.mirrorAllowLoopback, allowLinkLocal: deps.config.mirrorAllowLinkLocal };
  const worker = new MirrorWorker(
    { registry: deps.registry, stores: deps.stores, policy, maxManifestBytes: deps.config.maxManifestBytes, log: deps.log, resolve: opts.resolve },
    // One node on SQLite; on PostgreSQL other nodes may be syncing what is SYNCING now.
    { pollMs: deps.config.mirrorPollSeconds * 1000, concurrency: deps.config.mirrorConcurrency, orphansAtStart: deps.stores.dialect === "sqlite" },
  );
  return {
    worker,
    checkReference(reference) {
      const parsed = parseUpstreamReference(reference);
      if ("error" in parsed) return parsed.error;
      const hostname = new URL(`http://${parsed.host}`).hostname;
      // Quay's SSRF check answers one generic message; Berth says which rule (the admin set it up).
      return refusedUpstreamHost(hostname, policy);
    },
    checkProxy(url) {
      // The same rules as an upstream's: a proxy on this host or at a metadata address is refused
      // unless allowed (its resolved addresses are checked again at each connection).
      return invalidProxyUrl(url) ?? refusedUpstreamHost(new URL(url).hostname, policy);
    },
    checkArchitectures: invalidArchitectures,
    kick: () => worker.kick(),
  };
}
