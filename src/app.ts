import { Elysia } from "elysia";
import { join } from "node:path";
import { Authenticator } from "./auth/authenticator";
import type { LoginThrottle } from "./auth/loginThrottle";
import { OAuthTokenService } from "./auth/oauthTokens";
import { bootstrapAdmin } from "./auth/bootstrap";
import { bootstrapLibrary } from "./auth/libraryNamespace";
import { RegistryTokenService } from "./auth/registryToken";
import { SigningKeyRing } from "./auth/signingKeys";
import type { Config } from "./config";
import type { Logger } from "./log";
import { openAccess, type AccessPolicy } from "./perm/access";
import { RepoRoleResolver } from "./perm/repoRoles";
import { TokenAccessPolicy } from "./perm/tokenAccess";
import { openStores, type Stores } from "./store";
import { isV1Path, v1Routes, webConfigRoutes } from "./v1";
import { v1Options } from "./v1/session";
import { repositoryPathRewriter } from "./v1/repositoryPath";
import { cameThroughTrustedProxy, clientAddress, recordClientAddress } from "./auth/clientAddress";
import { v2Routes } from "./v2";
import { isValidHost } from "./auth/externalUrl";
import { loadCookieSecrets } from "./auth/cookieSecrets";
import type { TokenAuth } from "./v2/context";
import { RegistryEvents } from "./events/registryEvents";
import { setUpNotifications, type NotificationOptions, type Notifications } from "./notify";
import { listenForPushLabels } from "./labels/pushLabels";
import { auditRegistryEvents } from "./audit/registryAudit";
import { limitBody } from "./bodyLimit";

export interface AppContext {
  config: Config;
  stores: Stores;
  access: AccessPolicy;
  auth?: TokenAuth;
  authenticator: Authenticator;
  /** API v1 bearer tokens (reference §1.3); the v1 caller derivation asks it first. */
  oauth: OAuthTokenService;
  roles: RepoRoleResolver;
  cookieSecrets: string[];
  log: Logger;
  events: RegistryEvents;
  /** Repository notifications: the delivery worker and the test-notification call. */
  notify: Notifications;
  startedMs: number;
}

export interface ContextOptions {
  /** Delivery worker settings (tests use millisecond retry schedules, short timeouts, a fixed resolver). */
  notify?: NotificationOptions;
  /** The login throttle (tests pass one with a fake clock or short delays). */
  loginThrottle?: LoginThrottle;
}

/** Opens the stores and, in token mode, the signing keys and token service. */
/** `env` is read for BERTH_ADMIN_PASSWORD on first start (tests pass their own). */
export async function createContext(
  config: Config,
  log: Logger,
  env: Record<string, string | undefined> = process.env,
  opts: ContextOptions = {},
): Promise<AppContext> {
  const stores = openStores({
    dataDir: config.data,
    uploadTtlMs: config.uploadTtlSeconds * 1000,
    maxOpenUploadsPerOwner: config.maxOpenUploadsPerAccount,
  });
  for (const warning of stores.warnings) log.info(`WARNING: data directory: ${warning}`);
  // With user initialize on, the first account comes over HTTP instead (POST /api/v1/user/initialize).
  if (!config.userInitialize) await bootstrapAdmin(stores.users, log, env);
  bootstrapLibrary(stores, config, log);
  const keysDir = join(config.data, "keys");
  const roles = new RepoRoleResolver(stores, config);
  const authenticator = new Authenticator(stores, { cacheMs: config.credentialCacheSeconds * 1000, throttle: opts.loginThrottle });
  const events = new RegistryEvents(log);
  const notify = setUpNotifications({ stores, events, config, log }, opts.notify);
  listenForPushLabels(events, stores, log);
  const oauth = new OAuthTokenService(stores);
  const base = { config, stores, roles, authenticator, oauth, cookieSecrets: loadCookieSecrets(keysDir), log, events, notify, startedMs: Date.now() };
  if (config.auth === "none") return withAudit({ ...base, access: openAccess });
  const keys = await SigningKeyRing.loadOrCreate(keysDir, { privateKeyFile: config.signingKeyFile });
  const tokens = new RegistryTokenService({ keys, issuer: config.tokenIssuer, lifetimeSeconds: config.tokenLifetimeSeconds });
  await keys.pruneExpired(Date.now(), tokens.keyGraceMs);
  const access = new TokenAccessPolicy(tokens, roles, stores, config);
  return withAudit({ ...base, access, auth: { tokens, authenticator, roles } });
}

/** Pushes and pulls go to the audit log (push_repo / pull_repo). */
function withAudit(ctx: AppContext): AppContext {
  auditRegistryEvents(ctx);
  return ctx;
}

/** The whole HTTP surface, built from a context (tests build one over a temp data dir). */
export function createApp(ctx: AppContext) {
  // Elysia compiles cookie handling with the root app's settings: the signed session cookie
  // is declared here as well as on every API v1 instance.
  const v1 = v1Routes(ctx);
  const routableRepositoryPath = repositoryPathRewriter(v1.routes);
  const handle = (request: Request): Promise<Response> => app.handle(request);
  const app = new Elysia({ cookie: v1Options(ctx, "berth").cookie })
    .onRequest(({ request }) => {
      // RFC 9112 §3.2: an invalid Host (or several) is a 400. Bun builds request.url from it, so
      // such a request could neither be routed nor name the server; nothing of it is echoed.
      const host = request.headers.get("host");
      if (host !== null && !isValidHost(host)) return new Response("invalid Host header\n", { status: 400 });
      // Once one route reads cookies Elysia parses them (and checks the session cookie's signature)
      // on every route: a stale or forged session cookie would turn /v2/, /v2/auth and /health into
      // 400s. Only API v1 and /csrf_token use the session, so other paths never see cookies.
      if (!isV1Path(request.url)) {
        request.headers.delete("cookie");
      } else {
        const rewritten = routableRepositoryPath(request.method, request.url);
        if (rewritten) return handle(forwardedRequest(rewritten, request));
      }
      // Before any route can make Elysia buffer the body: refused, or read here up to its cap.
      const limited = limitBody(ctx.config, request);
      if (limited) return limited.then((checked) => (checked instanceof Response ? checked : handle(checked)));
    })
    .get("/health/instance", () => ({
      status: "healthy",
      data: { services: { database: true, storage: true } },
      uptime_seconds: Math.round((Date.now() - ctx.startedMs) / 1000),
    }))
    .use(v2Routes(ctx))
    .use(v1)
    .use(webConfigRoutes(ctx));
  return app;
}

/** The same request at another URL, keeping its body stream and client address. */
function forwardedRequest(url: string, request: Request): Request {
  const forwarded = new Request(url, request);
  recordClientAddress(forwarded, clientAddress(request), cameThroughTrustedProxy(request));
  return forwarded;
}

export type App = ReturnType<typeof createApp>;
