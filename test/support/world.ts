// One shared fixture for API tests: a test file declares the world it needs (server settings,
// users, organizations with teams, robots, OAuth tokens, who is signed in) and gets one in-process
// server per file with those accounts, instead of each file copying its own setup block.
//
// Cheap on purpose, and only here: fixture accounts are hashed with a tiny argon2 cost (a login
// verifies in well under a millisecond instead of ~25 ms; production keeps src/auth/password.ts's
// cost, and every server still hashes real sign-ups and password changes with it), and every
// token-auth server of the test process signs with one RSA key generated once (~0.3 s each time
// otherwise). Tests of hashing or key rotation start their own server with startTestServer.
import { afterAll, afterEach, beforeAll } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { orgAdd, robotAdd } from "../../src/cli/accounts";
import { tokenCreate } from "../../src/cli/tokens";
import type { Config } from "../../src/config";
import type { Stores } from "../../src/store";
import type { TeamRole } from "../../src/store/meta/teams";
import type { UserRow } from "../../src/store/meta/users";
import { RegistryClient } from "./registryClient";
import { resetLoginThrottles, startTestServer, tempDir, type TestServer, type TestServerOptions } from "./server";
import { signedIn, V1Client } from "./v1Client";

/** A fixture account's hash: argon2id at the smallest cost (m=64 KiB, t=1); verifies as any argon2 hash does. */
export function cheapHash(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id", memoryCost: 64, timeCost: 1 });
}

let keyFile: string | undefined;
/** One PKCS8 PEM signing key for every token-auth server of this test process (signingKeyFile). */
export function sharedSigningKeyFile(): string {
  if (keyFile) return keyFile;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const dir = tempDir("berth-test-key-");
  keyFile = join(dir, "signing.pem");
  writeFileSync(keyFile, privateKey, { mode: 0o600 });
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return keyFile;
}

export interface TeamSpec<U extends string> {
  role: TeamRole;
  /** Users by name, robots as `org+short`. */
  members?: (NoInfer<U> | "admin" | `${string}+${string}`)[];
}

export interface WorldSpec<U extends string> {
  /** Settings as flags would give them (auth defaults to none, as startTestServer's). */
  config?: Partial<Record<keyof Config, string>>;
  /** startTestServer's options (adminPassword, clocks, node state doubles, notify). */
  server?: TestServerOptions;
  /** Users to create: name → password, each with `name@example.com`. */
  users?: Record<U, string>;
  /** Organizations: name → owner (a user or "admin") and teams besides `owners`. */
  orgs?: Record<string, { owner: NoInfer<U> | "admin"; teams?: Record<string, TeamSpec<U>> }>;
  /** Robots to create, `owner+short` (the owner created above); tokens in `world.robots`. */
  robots?: `${string}+${string}`[];
  /** OAuth bearer tokens: label → user and scopes (as `berth token create`); in `world.tokens`. */
  tokens?: Record<string, { user: NoInfer<U> | "admin"; scopes: string }>;
  /** Users (or "admin") signed in to API v1 before the tests: `world.session(name)`. */
  sessions?: (NoInfer<U> | "admin")[];
  /** Forget failed logins after each test (all requests come from 127.0.0.1). Default true. */
  resetThrottlesAfterEach?: boolean;
}

/** What a test file sees; every field is ready from its first test on. */
export interface World<U extends string> {
  readonly server: TestServer;
  readonly url: string;
  readonly stores: Stores;
  readonly users: Record<U, UserRow>;
  readonly passwords: Record<U | "admin", string>;
  /** Robot tokens by `owner+short`. */
  readonly robots: Record<string, string>;
  /** OAuth bearer tokens by label. */
  readonly tokens: Record<string, string>;
  /** A /v2 client without credentials (open mode servers). */
  readonly registry: RegistryClient;
  /** An anonymous API v1 client that already holds a CSRF token. */
  readonly anon: V1Client;
  /** The API v1 session signed in before the tests. */
  session(name: U | "admin"): V1Client;
  /** A new API v1 session. */
  signIn(name: U | "admin"): Promise<V1Client>;
  /** A team's id. */
  teamId(org: string, team: string): Promise<number>;
}

/** One server per test file with the spec's accounts: started before its tests, stopped after. */
export function worldForFile<U extends string = never>(spec: WorldSpec<U> = {}): World<U> {
  let state: Built<U> | undefined;
  const ready = (): Built<U> => {
    if (!state) throw new Error("the world is built in beforeAll: use it inside tests or hooks");
    return state;
  };
  beforeAll(async () => {
    state = await build(spec);
  });
  afterAll(async () => {
    await state?.server.stop();
  });
  if (spec.resetThrottlesAfterEach !== false) afterEach(() => (state ? resetLoginThrottles(state.server) : undefined));
  return {
    get server() { return ready().server; },
    get url() { return ready().server.url; },
    get stores() { return ready().server.server.ctx.stores; },
    get users() { return ready().users; },
    get passwords() { return ready().passwords; },
    get robots() { return ready().robots; },
    get tokens() { return ready().tokens; },
    get registry() { return ready().registry; },
    get anon() { return ready().anon; },
    session(name) {
      const client = ready().sessions.get(name);
      if (!client) throw new Error(`${name} is not in the world's sessions`);
      return client;
    },
    signIn: (name) => signedIn(ready().server.url, name, ready().passwords[name]),
    async teamId(org, team) {
      const stores = ready().server.server.ctx.stores;
      const id = (await stores.teams.team((await stores.orgs.namespace(org))!.id, team))?.id;
      if (id === undefined) throw new Error(`no team ${org}/${team}`);
      return id;
    },
  };
}

interface Built<U extends string> {
  server: TestServer;
  users: Record<U, UserRow>;
  passwords: Record<U | "admin", string>;
  robots: Record<string, string>;
  tokens: Record<string, string>;
  registry: RegistryClient;
  anon: V1Client;
  sessions: Map<string, V1Client>;
}

async function build<U extends string>(spec: WorldSpec<U>): Promise<Built<U>> {
  const adminPassword = spec.server?.adminPassword ?? `admin-${crypto.randomUUID()}`;
  const config = { ...spec.config };
  if (config.auth === "token" && !("signingKeyFile" in config)) config.signingKeyFile = sharedSigningKeyFile();
  const server = await startTestServer(config, { ...spec.server, adminPassword });
  const stores = server.server.ctx.stores;
  // The bootstrap admin was hashed at the production cost; its logins need not be.
  const admin = await stores.users.byName("admin");
  if (admin) await stores.users.setPassword(admin.id, await cheapHash(adminPassword));

  const passwords = { admin: adminPassword, ...spec.users } as Record<U | "admin", string>;
  const users = {} as Record<U, UserRow>;
  for (const [name, password] of Object.entries(spec.users ?? {}) as [U, string][]) {
    const out = await stores.users.create(name, `${name}@example.com`, await cheapHash(password));
    if (out.kind !== "ok") throw new Error(`cannot create user ${name}`);
    users[name] = out.user;
  }
  const orgs = Object.entries(spec.orgs ?? {});
  for (const [org, { owner }] of orgs) await orgAdd(stores, org, owner);
  const robots: Record<string, string> = {};
  for (const robot of spec.robots ?? []) robots[robot] = await robotAdd(stores, robot);
  for (const [org, { teams }] of orgs) {
    const ns = (await stores.orgs.namespace(org))!.id;
    for (const [team, { role, members }] of Object.entries(teams ?? {})) {
      const teamId = await stores.teams.setTeam(ns, team, role);
      for (const member of members ?? []) {
        const id = member.includes("+") ? { robotId: (await stores.robots.byName(member))!.id } : { userId: (await stores.users.byName(member))!.id };
        await stores.teams.addMember(teamId, id);
      }
    }
  }
  const tokens: Record<string, string> = {};
  for (const [label, { user, scopes }] of Object.entries(spec.tokens ?? {})) tokens[label] = await tokenCreate(stores, { user, scopes });

  const sessions = new Map<string, V1Client>();
  for (const name of spec.sessions ?? []) sessions.set(name, await signedIn(server.url, name, passwords[name]));
  const anon = new V1Client(server.url);
  await anon.fetchCsrf();
  return { server, users, passwords, robots, tokens, registry: new RegistryClient(server.url), anon, sessions };
}
