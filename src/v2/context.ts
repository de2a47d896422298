import type { Authenticator } from "../auth/authenticator";
import type { RegistryTokenService } from "../auth/registryToken";
import type { Config } from "../config";
import type { Logger } from "../log";
import type { AccessPolicy } from "../perm/access";
import type { RepoRoleResolver } from "../perm/repoRoles";
import type { Stores } from "../store";
import type { Registry } from "../registry/registry";
import type { RequestLimits } from "../auth/rateLimits";

/** Present in token mode: what /v2/auth needs. */
export interface TokenAuth {
  tokens: RegistryTokenService;
  authenticator: Authenticator;
  roles: RepoRoleResolver;
}

/**
 * The pull-through path of proxy-cache organizations (src/proxy provides it; v2 does not import
 * it). Its methods throw an Error whose message says why the upstream could not serve, with a
 * registry `refusal` when the registry refused to store what it gave (a quota).
 */
export interface ProxyPulls {
  isCache(org: string): Promise<boolean>;
  /** Makes the manifest present and fresh when `name` is in a cache org; undefined (at once) when it is in none. */
  manifest(name: string, reference: string): Promise<void> | undefined;
  /** A blob's bytes (and length) streamed from the upstream while they are stored, or undefined: serve from the store. */
  blob(name: string, digest: string, head: boolean): Promise<{ body: ReadableStream<Uint8Array>; length: number } | undefined>;
}

export interface V2Context {
  config: Config;
  stores: Stores;
  access: AccessPolicy;
  log: Logger;
  auth?: TokenAuth;
  registry: Registry;
  /** Rate limits per client address and per account. */
  limits: RequestLimits;
  /** Absent where no proxy cache is set up (unit tests' contexts). */
  proxyCaches?: { pulls: ProxyPulls };
}
