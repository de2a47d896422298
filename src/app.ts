import { Elysia } from "elysia";
import type { Config } from "./config";
import type { Logger } from "./log";
import { openAccess, type AccessPolicy } from "./perm/access";
import { openStores, type Stores } from "./store";
import { v2Routes } from "./v2";

export interface AppContext {
  config: Config;
  stores: Stores;
  access: AccessPolicy;
  log: Logger;
  startedMs: number;
}

export function createContext(config: Config, log: Logger): AppContext {
  const stores = openStores({ dataDir: config.data, uploadTtlMs: config.uploadTtlSeconds * 1000 });
  return { config, stores, access: openAccess, log, startedMs: Date.now() };
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
