import type { Authenticator } from "../auth/authenticator";
import type { OAuthTokenService } from "../auth/oauthTokens";
import type { Config } from "../config";
import type { Logger } from "../log";
import type { NotificationActions } from "./notificationActions";
import type { MirrorActions } from "./mirrorActions";
import type { ProxyCacheActions } from "./proxyCacheActions";
import type { RepoRoleResolver } from "../perm/repoRoles";
import type { Stores } from "../store";
import type { Registry } from "../registry/registry";
import type { RequestLimits } from "../auth/rateLimits";

export interface V1Context {
  config: Config;
  stores: Stores;
  registry: Registry;
  /** Rate limits per client address and per account. */
  limits: RequestLimits;
  log: Logger;
  authenticator: Authenticator;
  oauth: OAuthTokenService;
  notify: NotificationActions;
  mirrors: MirrorActions;
  proxyCaches: ProxyCacheActions;
  roles: RepoRoleResolver;
  cookieSecrets: string[];
}
