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

export interface V2Context {
  config: Config;
  stores: Stores;
  access: AccessPolicy;
  log: Logger;
  auth?: TokenAuth;
  registry: Registry;
  /** Rate limits per client address and per account. */
  limits: RequestLimits;
}
