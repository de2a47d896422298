import type { Authenticator } from "../auth/authenticator";
import type { Config } from "../config";
import type { Logger } from "../log";
import type { RepoRoleResolver } from "../perm/repoRoles";
import type { Stores } from "../store";

export interface V1Context {
  config: Config;
  stores: Stores;
  log: Logger;
  authenticator: Authenticator;
  roles: RepoRoleResolver;
  cookieSecrets: string[];
}
