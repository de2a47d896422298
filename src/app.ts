import { Elysia, type Context, type InternalRoute, type PreContext } from "elysia";
import { join } from "node:path";
import { Authenticator } from "./auth/authenticator";
import type { LoginThrottle } from "./auth/loginThrottle";
import { SingleNodeLoginThrottle } from "./auth/singleNodeLoginThrottle";
import { ratePolicies, RequestLimits, type RateLimiter } from "./auth/rateLimits";
import { SingleNodeRateLimiter } from "./auth/singleNodeRateLimiter";
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
import type { Stores } from "./store";
import { openStoresOn } from "./store/openDatabase";
import type { SharedNodeState } from "./store/pgStores";
import { PgLoginThrottle } from "./auth/pgLoginThrottle";
import { LeasedLifecycleScheduler } from "./registry/lifecycle/leasedScheduler";
import { openBlobStore } from "./store/blobs/openBlobStore";
import type { StoreNodeState } from "./store/nodeState";
import { isV1Path, pathOf, v1Routes, webConfigRoutes } from "./v1";
import { v1Options } from "./v1/session";
import { repositoryRouteResolver } from "./v1/repositoryPath";
import { registryRouter } from "./v2";
import { isValidHost } from "./auth/externalUrl";
import { loadCookieSecrets } from "./auth/cookieSecrets";
import type { TokenAuth } from "./v2/context";
import { RegistryEvents, SYSTEM_ACTOR } from "./events/registryEvents";
import { Registry } from "./registry/registry";
import { setUpMirrors, type MirrorOptions, type Mirrors } from "./mirror";
import { setUpProxyCaches, type ProxyCaches } from "./proxy";
import { setUpNotifications, type NotificationOptions, type Notifications } from "./notify";
import { InProcessDeliveryClaims, type DeliveryClaims } from "./notify/deliveryClaims";
import { InProcessTestRateLimiter, SharedTestRateLimiter, type TestRateLimiter } from "./notify/testRateLimit";
import { listenForPushLabels } from "./labels/pushLabels";
import { auditRegistryEvents } from "./audit/registryAudit";
import { limitBody } from "./bodyLimit";
import { hasBody } from "./requestBody";
import { atMostEvery, SingleNodeLifecycleScheduler, type LifecycleScheduler, type LifecycleTask } from "./registry/lifecycle/scheduler";
import { AutoPruneTask } from "./registry/lifecycle/autoPruneTask";
import { quotaUsageTask } from "./registry/lifecycle/quotaUsage";
import { HealthChecks, healthResponse } from "./health/checks";
import { Collector, describeCollection } from "./registry/lifecycle/collector";
import { uiResponse } from "./ui/serve/respond";
import { Metrics } from "./metrics/metrics";
import { countingLoginThrottle } from "./metrics/countingThrottle";
import { metricsAnswer } from "./metrics/endpoint";

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
  /** Every change to registry state goes through it (both APIs, the CLI, listeners). */
  registry: Registry;
  /** Rate limits per client address and per account (both APIs). */
  limits: RequestLimits;
  /** Repository notifications: the delivery worker and the test-notification call. */
  notify: Notifications;
  /** Repository mirroring: the worker (the server starts and stops it) and API v1's checks. */
  mirrors: Mirrors;
  /** Proxy-cache organizations: the pull-through path and API v1's checks. */
  proxyCaches: ProxyCaches;
  /** The lifecycle's passes (auto-prune, collection, quota reconciliation); the server starts and stops it. */
  lifecycle: LifecycleScheduler;
  /** Push-time labels, read after a push's answer: a graceful stop waits for them before the store closes. */
  pushLabels: { settled(): Promise<void> };
  /** The health checks' clock (end-to-end results are reused for a second); tests pass a fake one. */
  healthClock?: () => number;
  startedMs: number;
  /** What /metrics shows (src/metrics); the server records each request in it. */
  metrics: Metrics;
}

export interface ContextOptions {
  /** Delivery worker settings (tests use millisecond retry schedules, short timeouts, a fixed resolver). */
  notify?: NotificationOptions;
  /** State only one process can hold: pieces not given are the shared ones on PostgreSQL, else the single-node ones (nodeStateBeyondStores). */
  nodeState?: Partial<NodeState>;
  /** The health checks' clock. */
  healthClock?: () => number;
  /** The mirror worker's settings (tests resolve names to loopback). */
  mirrors?: MirrorOptions;
  /** The registry's and the lifecycle's clock (tests move it: time machine windows, grace periods). */
  clock?: () => number;
}

/**
 * The state only one process can hold (docs/ARCHITECTURE.md, "State one process holds"), each
 * piece behind a small interface. A multi-node deployment passes shared implementations here;
 * tests pass doubles.
 */
export interface NodeState extends StoreNodeState {
  /** Failed-login counters. */
  loginThrottle: LoginThrottle;
  /** Test notifications per namespace. */
  testRateLimiter: TestRateLimiter;
  /** Which outbox rows are being sent. */
  deliveryClaims: DeliveryClaims;
  /** The rate limits' buckets. */
  rateLimiter: RateLimiter;
}

/**
 * The pieces beyond the store's (the stores fill those in): given ones, else on PostgreSQL the
 * state every node shares (`shared`), else this process's own.
 */
function nodeStateBeyondStores(given: Partial<NodeState>, opts: ContextOptions, maxRateBuckets: number, shared: SharedNodeState | undefined): Omit<NodeState, keyof StoreNodeState> {
  return {
    loginThrottle: given.loginThrottle ?? (shared ? new PgLoginThrottle(shared.loginCounters) : new SingleNodeLoginThrottle()),
    testRateLimiter: given.testRateLimiter ?? (shared ? new SharedTestRateLimiter(shared.rateLimiter, opts.notify?.testLimit) : new InProcessTestRateLimiter(opts.notify?.testLimit)),
    deliveryClaims: given.deliveryClaims ?? shared?.deliveryClaims ?? new InProcessDeliveryClaims(),
    rateLimiter: given.rateLimiter ?? shared?.rateLimiter ?? new SingleNodeRateLimiter({ maxBuckets: maxRateBuckets }),
  };
}

/** Opens the stores and, in token mode, the signing keys and token service. */
/** `env` is read for BERTH_ADMIN_PASSWORD on first start (tests pass their own). */
export async function createContext(
  config: Config,
  log: Logger,
  env: Record<string, string | undefined> = process.env,
  opts: ContextOptions = {},
): Promise<AppContext> {
  const given = opts.nodeState ?? {};
  const blobs = await openBlobStore(config);
  const stores = await openStoresOn(config.database, {
    dataDir: config.data,
    blobs,
    uploadTtlMs: config.uploadTtlSeconds * 1000,
    maxOpenUploadsPerOwner: config.maxOpenUploadsPerAccount,
    nodeState: given,
    clock: opts.clock,
    onError: (e) => log.error("read cache: cannot hear other nodes' changes (entries expire within 10 s)", e),
  });
  const shared = stores.shared;
  const state = nodeStateBeyondStores(given, opts, config.rateLimitMaxBuckets, shared);
  const metrics = new Metrics({ blobBytes: () => stores.blobLinks.totalBytes(), quotaUses: () => stores.quotas.uses() });
  // Logins are counted whichever throttle a deployment passes in.
  state.loginThrottle = countingLoginThrottle(state.loginThrottle, (outcome) => metrics.login(outcome));
  for (const warning of stores.warnings) log.info(`WARNING: data directory: ${warning}`);
  // With user initialize on, the first account comes over HTTP instead (POST /api/v1/user/initialize).
  if (!config.userInitialize) await bootstrapAdmin(stores.users, log, env);
  await bootstrapLibrary(stores, config, log);
  const keysDir = join(config.data, "keys");
  const roles = new RepoRoleResolver(stores, config);
  const authenticator = new Authenticator(stores, {
    cacheMs: config.credentialCacheSeconds * 1000,
    throttle: state.loginThrottle,
    rehashPasswords: config.registryState !== "readonly",
  });
  const events = new RegistryEvents(log);
  const readOnly = config.registryState === "readonly";
  const registry = new Registry({ writes: stores.registryWrites, events, uploads: stores.uploads, readOnly });
  // The listeners: the same for every change, whichever API made it.
  auditRegistryEvents({ events, stores, log });
  const notify = setUpNotifications({ stores, events, config, log, testLimiter: state.testRateLimiter, claims: state.deliveryClaims, onSent: (o) => metrics.webhookSent(o) }, opts.notify);
  const pushLabels = listenForPushLabels(events, stores, (target, effects) => registry.applyLabelEffects({ ...target, effects, actor: SYSTEM_ACTOR }), log);
  const oauth = new OAuthTokenService(stores);
  // The lifecycle's passes, in the order they run: auto-prune ends tags before collection frees
  // what nothing keeps; quota reconciliation checks the figures the others left. The scheduler
  // ticks at the shortest interval; each pass keeps to its own.
  const autoPruneMs = config.autoPruneIntervalSeconds * 1000;
  const gcMs = config.gcIntervalSeconds * 1000;
  // Every task is registered, so runOnce (tests, a pass on demand) runs them all; the interval
  // runs each as often as its setting says, 0 meaning never.
  // At most half the event loop: requests keep going while a pass walks a large store.
  const collector = new Collector({ registry, reads: stores.collection, blobs: stores.blobs, uploads: stores.uploads }, { graceMs: config.gcGraceSeconds * 1000, pace: { share: 0.5 } });
  // The pass as the scheduler runs it, its figures counted for /metrics.
  const countedCollector: LifecycleTask = {
    name: collector.name,
    async run(now, stopping) {
      const report = await collector.collect(now, { stopping });
      metrics.collectionPass(report);
      return describeCollection(report);
    },
  };
  // A read-only registry changes nothing on its own either (Quay's workers skip their start).
  if (readOnly) log.info("registry state: readonly; pulls and reads only, the lifecycle (collection, auto-prune) does not run");
  const lifecycleTasks: LifecycleTask[] = readOnly
    ? []
    : [
        atMostEvery(autoPruneMs, new AutoPruneTask({ policies: stores.autoPrunePolicies, registry })),
        atMostEvery(gcMs, countedCollector),
        // Last: the figures it checks are the ones the other passes left.
        atMostEvery(gcMs, quotaUsageTask(stores.quotaUsage)),
      ];
  const tickMs = Math.min(...[autoPruneMs, gcMs].filter((ms) => ms > 0), Number.MAX_SAFE_INTEGER);
  const intervalMs = tickMs === Number.MAX_SAFE_INTEGER ? 0 : tickMs;
  // On several nodes one runs the passes: the holder of the lifecycle lease.
  const lifecycle = shared
    ? new LeasedLifecycleScheduler(lifecycleTasks, shared.lifecycleLease, intervalMs, log, opts.clock)
    : new SingleNodeLifecycleScheduler(lifecycleTasks, intervalMs, log, opts.clock);
  const limits = new RequestLimits(ratePolicies(config), state.rateLimiter);
  const mirrors = setUpMirrors({ registry, stores, config, log }, opts.mirrors);
  // The registry's clock measures expiration_s too (tests move it to see a tag re-checked).
  const proxyCaches = setUpProxyCaches({ registry, stores, config, log }, { resolve: opts.mirrors?.resolve, clock: opts.clock });
  const base = { config, stores, roles, authenticator, oauth, cookieSecrets: loadCookieSecrets(keysDir), log, events, registry, limits, notify, mirrors, proxyCaches, lifecycle, pushLabels, healthClock: opts.healthClock, startedMs: Date.now(), metrics };
  if (config.auth === "none") return { ...base, access: openAccess };
  const keys = await SigningKeyRing.loadOrCreate(keysDir, { privateKeyFile: config.signingKeyFile });
  const tokens = new RegistryTokenService({ keys, issuer: config.tokenIssuer, lifetimeSeconds: config.tokenLifetimeSeconds });
  await keys.pruneExpired(Date.now(), tokens.keyGraceMs);
  const access = new TokenAccessPolicy(tokens, roles, stores, config);
  return { ...base, access, auth: { tokens, authenticator, roles } };
}

/** The whole HTTP surface, built from a context (tests build one over a temp data dir). */
export function createApp(ctx: AppContext) {
  return createHandler(ctx).app;
}

/**
 * The Elysia app and the server's entry to it. A registry-protocol request that brings no body
 * to read (every pull) is answered by the front door's own steps without Elysia's per-request
 * context (~5 % of a manifest GET); any other request goes through `app.handle`, whose onRequest
 * runs the same front door. Same answers either way: Elysia adds nothing to an onRequest answer.
 */
export function createHandler(ctx: AppContext): { app: App; handle(request: Request): Promise<Response> | Response } {
  const registry = registryRouter(ctx);
  const health = new HealthChecks({
    stores: ctx.stores,
    dataDir: ctx.config.data,
    onFailure: (failures) => ctx.log.error(`[FAILED HEALTH CHECK] ${failures.join("; ")}`),
    clock: ctx.healthClock,
  });
  const app = buildApp(ctx, health, (c) => frontDoor(c));
  // /metrics on the public port: only when it has no address of its own, and to a bearer of metricsToken.
  const metricsOnPublicPort = ctx.config.metricsToken !== undefined && ctx.config.metricsAddress === undefined;
  // The API v1 routes as this app compiled them (its hooks, its cookie settings): what the
  // router would run, found by the repository-name suffixes they declare.
  const repositoryRoute = repositoryRouteResolver(app.routes.filter((r) => isV1Path(r.path)));

  /**
   * Every request enters here, before Elysia's router (docs/ARCHITECTURE.md, "A request's way"):
   *  1. an invalid Host is a 400;
   *  2. the body is capped: refused, read into memory up to its cap, or left to the /v2 route
   *     that streams it (src/bodyLimit.ts);
   *  3. the registry protocol (/v2, Docker's search) is answered by its router (src/v2);
   *  4. an API v1 path naming a repository with slashes runs the route its suffix names;
   *  5. a web UI path gets the app shell or a bundle file;
   *  6. anything else goes on to Elysia's router, with cookies only on API v1 paths.
   */
  function frontDoor(c: PreContext): Promise<Response | undefined> | Response | undefined {
    // RFC 9112 §3.2: an invalid Host (or several) is a 400. Bun builds request.url from it, so
    // such a request could neither be routed nor name the server; nothing of it is echoed.
    const host = c.request.headers.get("host");
    if (host !== null && !isValidHost(host)) return new Response("invalid Host header\n", { status: 400 });
    const path = pathOf(c.request.url);
    // On the public port only to a bearer of metricsToken, unless it has its own address.
    if (path === "/metrics" && metricsOnPublicPort) return metricsAnswer(ctx.metrics, c.request, ctx.config.metricsToken);
    const limited = limitBody(ctx.config, c.request);
    if (!limited) return route(c, c.request, path);
    return limited.then((checked) => (checked instanceof Response ? checked : route(c, checked, path)));
  }

  function route(c: PreContext, request: Request, path: string): Response | Promise<Response> | undefined {
    const answer = registry(request, path);
    if (answer) return answer;
    // A body read into memory replaces the request the routes see.
    c.request = request;
    if (!isV1Path(path)) {
      // The web UI: the app shell on its deep links, the bundle's files (src/ui/serve/paths.ts).
      const page = uiResponse(request, path);
      if (page) return page;
      // Once one route reads cookies Elysia parses them (and checks the session cookie's
      // signature) on every route: a stale or forged session cookie would turn /health or
      // /config into 400s. Only API v1 uses the session, so other paths never see cookies.
      request.headers.delete("cookie");
      return undefined;
    }
    const found = repositoryRoute(request.method, path);
    return found && runRoute(c as RouteContext, found.route, found.params, request.method === "HEAD");
  }

  function handle(request: Request): Promise<Response> | Response {
    const host = request.headers.get("host");
    if (host !== null && isValidHost(host) && !hasBody(request.headers)) {
      const path = pathOf(request.url);
      if (path.startsWith("/v2/")) {
        const answer = registry(request, path);
        if (answer) return answer;
      }
    }
    return app.handle(request);
  }

  return { app, handle };
}

/** The Elysia app: the front door as its onRequest, the health routes, API v1 and /config. */
function buildApp(ctx: AppContext, health: HealthChecks, frontDoor: (c: PreContext) => Promise<Response | undefined> | Response | undefined) {
  // Elysia compiles cookie handling with the root app's settings: the signed session cookie
  // is declared here as well as on the API v1 app.
  return (
    new Elysia({ cookie: v1Options(ctx, "berth").cookie })
      .onRequest((c) => frontDoor(c))
      // Quay's paths and their older names (/health, /status).
      .get("/health/instance", async () => healthResponse(await health.instance()))
      .get("/health", async () => healthResponse(await health.instance()))
      .get("/health/endtoend", async () => healthResponse(await health.endtoend()))
      .get("/status", async () => healthResponse(await health.endtoend()))
      .use(v1Routes(ctx))
      .use(webConfigRoutes(ctx))
  );
}

/** What Elysia's router sets before it runs a route, and what an early answer is mapped with. */
type RouteContext = PreContext & { params: Record<string, string> };

/** Runs a route as Elysia's router would: its compiled handler with the parameters set. */
async function runRoute(c: RouteContext, route: InternalRoute, params: Record<string, string>, head: boolean): Promise<Response> {
  c.params = params;
  const response = await route.compile()(c as unknown as Context);
  // The route applied its status, headers and cookies to its response; Elysia would apply them
  // again to an answer of onRequest (a second Set-Cookie).
  c.set = { headers: {}, status: 200 };
  if (!head) return response;
  // HEAD runs the GET route, answered without its body (as Elysia's router does).
  const headers = new Headers(response.headers);
  if (!headers.has("content-length")) headers.set("content-length", String((await response.arrayBuffer()).byteLength));
  return new Response(null, { status: response.status, statusText: response.statusText, headers });
}

export type App = ReturnType<typeof buildApp>;
