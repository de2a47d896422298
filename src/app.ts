import { Elysia } from "elysia";
import { join } from "node:path";
import { Authenticator } from "./auth/authenticator";
import { bootstrapAdmin } from "./auth/bootstrap";
import { RegistryTokenService } from "./auth/registryToken";
import { SigningKeyRing } from "./auth/signingKeys";
import type { Config } from "./config";
import type { Logger } from "./log";
import { openAccess, type AccessPolicy } from "./perm/access";
import { RepoRoleResolver } from "./perm/repoRoles";
import { TokenAccessPolicy } from "./perm/tokenAccess";
import { openStores, type Stores } from "./store";
import { v2Routes } from "./v2";
import type { TokenAuth } from "./v2/context";

export interface AppContext {
  config: Config;
  stores: Stores;
  access: AccessPolicy;
  auth?: TokenAuth;
  log: Logger;
  startedMs: number;
}

/** Opens the stores and, in token mode, the signing keys and token service. */
export async function createContext(config: Config, log: Logger): Promise<AppContext> {
  const stores = openStores({ dataDir: config.data, uploadTtlMs: config.uploadTtlSeconds * 1000 });
  await bootstrapAdmin(stores.users, log);
  if (config.auth === "none") return { config, stores, access: openAccess, log, startedMs: Date.now() };
  const keys = await SigningKeyRing.loadOrCreate(join(config.data, "keys"), { privateKeyFile: config.signingKeyFile });
  const tokens = new RegistryTokenService({ keys, issuer: config.tokenIssuer, lifetimeSeconds: config.tokenLifetimeSeconds });
  await keys.pruneExpired(Date.now(), tokens.keyGraceMs);
  const roles = new RepoRoleResolver(stores, config);
  const authenticator = new Authenticator(stores, { cacheMs: config.credentialCacheSeconds * 1000 });
  const access = new TokenAccessPolicy(tokens, roles, stores, config);
  return { config, stores, access, auth: { tokens, authenticator, roles }, log, startedMs: Date.now() };
}

/** The whole HTTP surface, built from a context (tests build one over a temp data dir). */
export function createApp(ctx: AppContext) {
  return new Elysia()
    .get("/health/instance", () => ({
      status: "healthy",
      data: { services: { database: true, storage: true } },
      uptime_seconds: Math.round((Date.now() - ctx.startedMs) / 1000),
    }))
    .use(v2Routes(ctx));
}

export type App = ReturnType<typeof createApp>;
