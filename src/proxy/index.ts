// Proxy-cache organizations, assembled: the pull-through path /v2 asks (src/v2/context.ts's
// ProxyPulls) and what API v1's proxycache endpoints ask beyond the store (src/v1/proxyCacheActions.ts):
// whether an upstream may be cached, and Quay's validation (a GET of its /v2/).
import type { Config } from "../config";
import type { Logger } from "../log";
import type { Registry } from "../registry/registry";
import type { Stores } from "../store";
import { refusedUpstreamHost, UpstreamClient, type Resolver, type UpstreamPolicy } from "../upstream";
import { PullThrough } from "./pullThrough";
import { upstreamHostOf } from "./upstreamPath";

export { PullThroughFailed } from "./pullThrough";

export interface ProxyCaches {
  pulls: PullThrough;
  /** Why `upstreamRegistry` cannot be cached (not host[/namespace], or an address the policy refuses), or undefined. */
  checkUpstream(upstreamRegistry: string): string | undefined;
  /** Quay's validateproxycache: "valid" (logged in, or open), "anonymous" (a login is asked, none given); throws when the login fails. */
  validate(c: { upstreamRegistry: string; insecure: boolean; username?: string | null; password?: string | null }): Promise<"valid" | "anonymous">;
  /** Writes the pulls not written yet (at stop, before the store closes). */
  stop(): Promise<void>;
}

export interface ProxyCacheOptions {
  /** How upstream host names resolve (default: the system resolver). */
  resolve?: Resolver;
  /** The clock expiration_s is measured with. */
  clock?: () => number;
}

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:\d{1,5})?$/;

export function setUpProxyCaches(deps: { registry: Registry; stores: Stores; config: Config; log: Logger }, opts: ProxyCacheOptions = {}): ProxyCaches {
  // The same settings as the mirror's: both connect to an upstream an admin names.
  const policy: UpstreamPolicy = { allowLoopback: deps.config.mirrorAllowLoopback, allowLinkLocal: deps.config.mirrorAllowLinkLocal };
  const pulls = new PullThrough({ registry: deps.registry, stores: deps.stores, policy, maxManifestBytes: deps.config.maxManifestBytes, log: deps.log, resolve: opts.resolve, clock: opts.clock });
  return {
    pulls,
    checkUpstream(upstreamRegistry) {
      const host = upstreamHostOf(upstreamRegistry);
      if (!HOST.test(host)) return `"${host}" is not a registry host`;
      return refusedUpstreamHost(new URL(`http://${host}`).hostname, policy);
    },
    async validate(c) {
      const host = upstreamHostOf(c.upstreamRegistry);
      const credentials = c.username ? { username: c.username, password: c.password ?? "" } : undefined;
      const client = new UpstreamClient({ host, credentials, maxManifestBytes: deps.config.maxManifestBytes, policy, verifyTls: !c.insecure, scheme: c.insecure ? "http" : "https", resolve: opts.resolve });
      return client.ping();
    },
    stop: () => pulls.recentPulls.flush(),
  };
}
