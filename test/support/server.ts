// Test servers: in-process (API tests) and the compiled binary (end-to-end tests).
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig, type Config } from "../../src/config";
import { createLogger } from "../../src/log";
import { startServer, type RunningServer } from "../../src/server";
import { hashPassword } from "../../src/auth/password";
import type { Stores } from "../../src/store";
import type { UserRow } from "../../src/store/meta/users";
import type { NotificationOptions } from "../../src/notify";
import type { LoginThrottle } from "../../src/auth/loginThrottle";
import type { NodeState } from "../../src/app";
import { apiS3Overrides, dropApiS3Prefix } from "./s3";
import { apiDatabaseOverrides, dropApiDatabase } from "./apiDatabase";
import { backendEnv } from "./e2eBackend";

export const ROOT = resolve(import.meta.dir, "../..");

export function tempDir(prefix = "berth-test-"): string {
  return mkdtempSync(join(process.env.BERTH_TEST_TMP ?? tmpdir(), prefix));
}

/** Temporary directories a test file makes, removed together when it ends. */
export function tempDirs(): { make(prefix: string): string; removeAll(): void } {
  const made: string[] = [];
  return {
    make(prefix) {
      const d = tempDir(prefix);
      made.push(d);
      return d;
    },
    removeAll() {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

export interface TestServer {
  url: string;
  dataDir: string;
  server: RunningServer;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** The bootstrap admin's password (BERTH_ADMIN_PASSWORD), without touching process.env. */
  adminPassword?: string;
  /** Serve this data directory (a restart of an earlier server); the caller removes it. */
  dataDir?: string;
  /** Delivery worker settings, such as a millisecond retry schedule. */
  notify?: NotificationOptions;
  /** The login throttle, e.g. one with short delays. */
  loginThrottle?: LoginThrottle;
  /** State only one process can hold (app.ts NodeState): doubles, or pieces shared with another server. */
  nodeState?: Partial<NodeState>;
  /** The health checks' clock. */
  healthClock?: () => number;
  /** The registry's and the lifecycle's clock (time machine windows, grace periods). */
  clock?: () => number;
}

/** Berth in this process on a free loopback port over a fresh data directory. */
export async function startTestServer(
  overrides: Partial<Record<keyof Config, string>> = {},
  opts: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir();
  // Open mode unless a test asks for token auth: the /v2 protocol tests are about the protocol.
  // No rate limits unless a test asks: every test request comes from 127.0.0.1, as fast as it can.
  const config = loadConfig(
    { host: "127.0.0.1", port: "0", data: dataDir, logRequests: "false", auth: "none", rateLimits: "false", ...apiS3Overrides(dataDir), ...(await apiDatabaseOverrides(dataDir)), ...overrides },
    {},
  );
  const env = { ...process.env, BERTH_ADMIN_PASSWORD: opts.adminPassword ?? process.env.BERTH_ADMIN_PASSWORD };
  const server = await startServer(config, createLogger({ requests: false, write: () => {} }), env, {
    notify: opts.notify,
    healthClock: opts.healthClock,
    clock: opts.clock,
    nodeState: { ...opts.nodeState, ...(opts.loginThrottle ? { loginThrottle: opts.loginThrottle } : {}) },
  });
  const port = new URL(server.url).port;
  return {
    // https:// with TLS on; the host is 127.0.0.1 (the address it listens on).
    url: server.url,
    dataDir,
    server,
    async stop() {
      await server.stop();
      if (!opts.dataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        await dropApiDatabase(dataDir);
        await dropApiS3Prefix(dataDir);
      }
    },
  };
}

/** One in-process server for the whole test file: started before its tests, stopped after. */
export function serverForFile(onStart: (server: TestServer) => void, overrides: Partial<Record<keyof Config, string>> = {}): void {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(overrides);
    onStart(server);
  });
  afterAll(async () => {
    await server?.stop();
  });
}

/** Accounts for a test: `name → password`, each with `name@example.com`. */
export async function createUsers<N extends string>(stores: Stores, passwords: Record<N, string>): Promise<Record<N, UserRow>> {
  const made = {} as Record<N, UserRow>;
  for (const [name, pw] of Object.entries(passwords) as [N, string][]) {
    const out = await stores.users.create(name, `${name}@example.com`, await hashPassword(pw));
    if (out.kind !== "ok") throw new Error(`cannot create ${name}`);
    made[name] = out.user;
  }
  return made;
}

/** All test requests come from 127.0.0.1, so failed logins of one test would throttle the next. */
/** Changes a repository's visibility through the server's registry (what the API's changevisibility does). */
export async function setRepoVisibility(server: TestServer, name: string, visibility: "public" | "private"): Promise<boolean> {
  const ctx = server.server.ctx;
  const repo = (await ctx.stores.repositories.find(name));
  if (!repo) return false;
  const outcome = await ctx.registry.changeVisibility({ repo: { id: repo.id, name: repo.fullName }, visibility, actor: {} });
  return outcome.kind === "ok";
}

export async function resetLoginThrottles(server: TestServer): Promise<void> {
  await server.server.ctx.authenticator.throttle.reset();
  await server.server.ctx.auth?.authenticator.throttle.reset();
}

let built: Promise<string> | undefined;

/** Builds dist/berth once per test run (the real artefact users run). */
export function buildBinary(): Promise<string> {
  built ??= (async () => {
    const proc = Bun.spawn([process.execPath, "run", "build.ts"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
    const code = await proc.exited;
    if (code !== 0) throw new Error(`build failed: ${await new Response(proc.stderr).text()}`);
    const bin = join(ROOT, "dist/berth");
    if (!existsSync(bin)) throw new Error("build wrote no dist/berth");
    return bin;
  })();
  return built;
}

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export interface BinaryServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  proc: Bun.Subprocess;
  output(): string;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** A test that names its own database or storage keeps them: the e2e backend mode adds neither. */
function choosesBackend(opts: { env?: Record<string, string>; args?: string[] }): boolean {
  return ["--database", "--storage"].some((f) => opts.args?.includes(f)) || ["BERTH_DATABASE", "BERTH_STORAGE"].some((k) => opts.env?.[k] !== undefined);
}

/**
 * Starts the compiled binary on a loopback port and waits until it answers; on the e2e backend
 * (test/support/e2eBackend.ts) the one its data directory is given.
 */
export async function startBinary(opts: { dataDir?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<BinaryServer> {
  const bin = await buildBinary();
  const dataDir = opts.dataDir ?? tempDir();
  const port = await freePort();
  let out = "";
  const args = opts.args ?? [];
  const backend = choosesBackend(opts) ? {} : await backendEnv(dataDir);
  const auth = args.includes("--auth") ? [] : ["--auth", "none"];
  const proc = Bun.spawn([bin, "serve", "--host", "127.0.0.1", "--port", String(port), "--data", dataDir, ...auth, ...args], {
    // No rate limits unless a test asks (BERTH_RATE_LIMITS=true): load and crash tests push from one address.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", BERTH_LOG_REQUESTS: "false", BERTH_RATE_LIMITS: "false", ...backend, ...opts.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const collect = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) out += new TextDecoder().decode(c);
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  const https = args.includes("--tls") || args.includes("--tls-cert") || opts.env?.BERTH_TLS === "auto";
  const url = `${https ? "https" : "http"}://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      // Only whether it answers: the TLS tests check the certificate themselves.
      const r = await fetch(`${url}/health/instance`, https ? ({ tls: { rejectUnauthorized: false } } as RequestInit) : {});
      if (r.ok) break;
    } catch {}
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`berth did not start: ${out}`);
    await Bun.sleep(50);
  }
  return {
    url,
    port,
    pid: proc.pid,
    dataDir,
    proc,
    output: () => out,
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
