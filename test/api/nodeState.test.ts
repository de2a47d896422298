// The state only one process can hold (app.ts NodeState, docs/ARCHITECTURE.md "State one process
// holds"): the app runs on the implementations it is given, so a multi-node deployment swaps them
// where the app is composed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { InProcessAuditWriter } from "../../src/store/auditWriter";
import type { AuditRow } from "../../src/store/meta/auditLogTypes";
import { InProcessReadCache, type ReadCache } from "../../src/store/meta/readCache";
import { InProcessUploadLocks, type UploadLocks } from "../../src/store/uploadState";
import type { LoginThrottle } from "../../src/auth/loginThrottle";
import type { RateLimiter } from "../../src/auth/rateLimits";
import { BearerRegistryClient, registryToken } from "../support/registryClient";
import { startTestServer, type TestServer } from "../support/server";

describe("the app runs on the node state it is given", () => {
  let server: TestServer;
  const cacheKeys: string[] = [];
  const locked: string[] = [];
  const audited: AuditRow[] = [];
  const admitted: string[] = [];
  const bucketKeys: string[] = [];

  beforeAll(async () => {
    // Doubles that record what reaches them and otherwise do what one node does.
    const inner = new InProcessReadCache();
    const readCache: ReadCache = {
      get: (key, load, keep) => (cacheKeys.push(key), inner.get(key, load, keep)),
      clear: () => inner.clear(),
    };
    const locks = new InProcessUploadLocks();
    const uploadLocks: UploadLocks = { tryLock: (id) => (locked.push(id), locks.tryLock(id)), unlock: (id) => locks.unlock(id) };
    const loginThrottle: LoginThrottle = {
      admit: async (attempt) => (admitted.push(attempt.address), { admitted: true, delayMs: 0 }),
      settle: async () => {},
      reset: async () => {},
    };
    const rateLimiter: RateLimiter = { take: async (keys) => (bucketKeys.push(...keys), { allowed: true }) };
    server = await startTestServer(
      { auth: "token", rateLimits: "true" },
      {
        adminPassword: "Admin-Secret-1",
        nodeState: {
          readCache,
          uploadLocks,
          loginThrottle,
          rateLimiter,
          auditWriter: (sink) => new InProcessAuditWriter({ insert: (rows) => (audited.push(...rows), sink.insert(rows)) }),
        },
      },
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("a push and a pull go through the given upload locks, read cache, audit writer, login throttle and rate limiter", async () => {
    const token = await registryToken(server.url, ["admin", "Admin-Secret-1"], "repository:admin/seam:pull,push");
    const client = new BearerRegistryClient(server.url, token);
    const pushed = await client.pushImage("admin/seam", "v1", { layers: 1, layerSize: 64 });
    const res = await client.fetch("/v2/admin/seam/manifests/v1", { headers: { Accept: pushed.mediaType } });
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(pushed.digest);
    expect(admitted.length).toBeGreaterThan(0); // /v2/auth asked the throttle
    // The rate limits' buckets: the token request's and the push's, by address and by account.
    expect(bucketKeys).toContain("auth|user|admin");
    expect(bucketKeys).toContain("v2Write|address|127.0.0.1");
    expect(bucketKeys).toContain("v2Write|user|admin");
    expect(locked.length).toBeGreaterThan(0); // the blob uploads held their sessions
    expect(cacheKeys.some((k) => k.includes("admin/seam"))).toBe(true); // the GET read through the cache
    await server.server.ctx.stores.auditWriter.flush();
    expect(audited.map((r) => r.kind)).toEqual(expect.arrayContaining(["push_repo", "pull_repo"]));
  });
});
