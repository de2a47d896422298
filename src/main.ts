#!/usr/bin/env bun
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { ConfigError, loadConfig, printableConfig, redactedDatabaseUrl, type Config } from "./config";
import { createLogger } from "./log";
import { startServer } from "./server";
import type { Stores } from "./store";
import { openStoresOn } from "./store/openDatabase";
import { DatabaseOpenError } from "./store/pgStores";
import { openBlobStore } from "./store/blobs/openBlobStore";
import { RegistryEvents } from "./events/registryEvents";
import { auditRegistryEvents } from "./audit/registryAudit";
import { Registry, SYSTEM_ACTOR } from "./registry/registry";
import { setUpNotifications } from "./notify";
import { InProcessDeliveryClaims } from "./notify/deliveryClaims";
import { InProcessTestRateLimiter } from "./notify/testRateLimit";
import { listenForPushLabels } from "./labels/pushLabels";
import { fsck, gc, graceSeconds } from "./cli/lifecycle";
import { CliError, orgAdd, repoVisibility, robotAdd, robotRegenerate, userAdd, userPasswd, userSetEnabled } from "./cli/accounts";
import { tokenCreate, tokenList, tokenRevoke } from "./cli/tokens";
import { backup } from "./cli/backup";
import { restore } from "./cli/restore";
import { exportArchive } from "./cli/archive/export";
import { importArchive } from "./cli/archive/import";
import { migrate } from "./cli/migrate/migrate";
import { localCaPem } from "./tls";
import { version } from "../package.json";

const USAGE = `berth ${version}: a container registry in one executable

Usage:
  berth [serve] [--port 8080] [--host 0.0.0.0] [--data ./berth-data] [--config FILE] [--auth token|none]
              [--tls auto [--tls-hosts NAME,ADDR,...] | --tls-cert FILE --tls-key FILE] [--tls-redirect-port PORT]
              [--storage s3://BUCKET/PREFIX] [--database postgres://USER:PASSWORD@HOST:PORT/DB]
                                       SIGHUP re-reads the certificate; SIGTERM/SIGINT stop gracefully;
                                       --database: metadata in PostgreSQL (several nodes may share it and
                                       one bucket; each node's --data holds the same keys/; every
                                       command below but backup/restore takes it too)
  berth tls ca                         print the local CA certificate (made by --tls auto) for clients to trust
  berth user add NAME [--email E] [--superuser] [--password-stdin]
  berth user passwd NAME [--password-stdin]
  berth user disable|enable NAME
  berth org add NAME --owner USER
  berth robot add|regenerate OWNER+NAME   prints the robot's (new) token
  berth repo visibility NS/NAME public|private
  berth token create --user NAME --scopes "repo:read repo:write" [--expires-in 30d]
                                       prints an API v1 bearer token (OAuth scopes: repo:read
                                       repo:write repo:admin repo:create user:read user:admin
                                       org:admin super:user; expiry units s m h d w; default never)
  berth token list --user NAME
  berth token revoke UUID
  berth gc [--dry-run] [--grace SECONDS]
                                       one collection pass: tag periods past the time machine,
                                       manifests and blobs nothing keeps, expired uploads (safe
                                       while serving; what was pushed within --grace, default
                                       gcGraceSeconds, stays); --dry-run only counts
  berth fsck [--repair] [--grace SECONDS]
                                       re-hash every blob, check every reference both ways;
                                       --repair fixes what it safely can (exit 1: damage left)
  berth backup DIR [--data DATA]       a consistent copy of the registry into DIR while it serves:
                                       database snapshot, the blobs it names (hard links on the
                                       same file system), keys; again into DIR: only what changed
  berth restore DIR --data TARGET [--force]
                                       a data directory from a backup, every blob re-hashed;
                                       TARGET must be empty unless --force (stop its server first)
  berth export [--repository NS/NAME[:TAG|@DIGEST]]... --output FILE.tar
                                       the images (no --repository: every tag of every repository),
                                       all platforms of their indexes and their referrers, as an
                                       OCI image layout in a tar file (skopeo oci-archive:, podman load)
  berth import FILE.tar|DIR [--namespace NS] [--repository NS/NAME]
                                       loads an OCI layout (directory or tar) or a docker save
                                       archive into repositories named by its refs (--namespace
                                       replaces their namespace; --repository names the one for
                                       refs that are only a tag); verifies every digest, skips
                                       what is already present (re-run to resume)
  berth migrate --from DATA_DIR --to postgres://… --storage s3://BUCKET/PREFIX [--data NODE_DIR]
  berth migrate --from postgres://… --storage s3://BUCKET/PREFIX --data NODE_DIR --to NEW_DATA_DIR
                                       moves a registry between a data directory (SQLite, blobs in
                                       it) and PostgreSQL with blobs in S3 (BERTH_S3_* settings):
                                       the target must be empty; every blob re-hashed; metadata in
                                       one transaction; keys/ go to (or come from) NODE_DIR
  berth config check [--config FILE]   validate settings and print them
  berth version
  berth help

Every setting is also a BERTH_* environment variable (BERTH_PORT, BERTH_HOST, BERTH_DATA,
BERTH_CONFIG, BERTH_AUTH, BERTH_PUBLIC_URL, BERTH_SERVICE, BERTH_SUPERUSERS, ... see README)
and a key of the config file (JSON or YAML). BERTH_ADMIN_PASSWORD sets the bootstrap admin's
password on first start.
Precedence: flags > environment > config file > defaults.`;

function parseCli(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string" },
      data: { type: "string", short: "d" },
      storage: { type: "string" },
      database: { type: "string" },
      config: { type: "string", short: "c" },
      auth: { type: "string" },
      "public-url": { type: "string" },
      tls: { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-hosts": { type: "string" },
      "tls-redirect-port": { type: "string" },
      grace: { type: "string" },
      "dry-run": { type: "boolean" },
      repair: { type: "boolean" },
      force: { type: "boolean" },
      email: { type: "string" },
      owner: { type: "string" },
      superuser: { type: "boolean" },
      "password-stdin": { type: "boolean" },
      user: { type: "string" },
      scopes: { type: "string" },
      "expires-in": { type: "string" },
      repository: { type: "string", multiple: true },
      output: { type: "string", short: "o" },
      namespace: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const flags: Partial<Record<keyof Config, string>> = {
    port: values.port,
    host: values.host,
    data: values.data,
    storage: values.storage,
    database: values.database,
    auth: values.auth,
    publicUrl: values["public-url"],
    tls: values.tls,
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    tlsHosts: values["tls-hosts"],
    tlsRedirectPort: values["tls-redirect-port"],
  };
  return { flags, configPath: values.config, positionals, help: values.help, values };
}

type ChoreAnswer = string | { text: string; exitCode: number };
type Chore = (stores: Stores, config: Config, registry: Registry) => ChoreAnswer | Promise<ChoreAnswer>;

/** The chore `berth user|org|robot|repo SUB NAME` names, or undefined when there is none. */
function accountChore(command: string, sub: string | undefined, name: string, values: Record<string, unknown>): Chore | undefined {
  switch (`${command} ${sub}`) {
    case "user add":
      return (stores, config) =>
        userAdd(stores, name, { email: values.email as string | undefined, superuser: !!values.superuser, passwordStdin: !!values["password-stdin"] }, config);
    case "user passwd":
      return (stores) => userPasswd(stores, name, !!values["password-stdin"]);
    case "user disable":
    case "user enable":
      return (stores) => userSetEnabled(stores, name, sub === "enable");
    case "org add":
      return (stores) => {
        if (typeof values.owner !== "string") throw new CliError("org add needs --owner USER");
        return orgAdd(stores, name, values.owner);
      };
    case "robot add":
      return (stores) => robotAdd(stores, name);
    case "robot regenerate":
      return (stores) => robotRegenerate(stores, name);
    case "repo visibility":
      return (stores, _config, registry) => repoVisibility(stores, registry, name, values.positional3 as string | undefined);
  }
  return undefined;
}

/** The chore `berth token SUB [UUID]` names, or undefined when there is none. */
function tokenChore(sub: string | undefined, arg: string | undefined, values: Record<string, unknown>): Chore | undefined {
  const user = values.user as string | undefined;
  switch (sub) {
    case "create":
      return (stores) => tokenCreate(stores, { user, scopes: values.scopes as string | undefined, expiresIn: values["expires-in"] as string | undefined });
    case "list":
      return (stores) => tokenList(stores, user);
    case "revoke":
      return (stores) => tokenRevoke(stores, arg);
  }
  return undefined;
}

/** Runs a chore on the data directory: its answer on stdout; a CliError's message on stderr, with its exit code. */
async function runChore(config: Config, chore: Chore): Promise<number> {
  let stores: Stores;
  try {
    const blobs = await openBlobStore(config);
    stores = await openStoresOn(config.database, { dataDir: config.data, uploadTtlMs: config.uploadTtlSeconds * 1000, blobs });
  } catch (e) {
    if (!(e instanceof ConfigError) && !(e instanceof DatabaseOpenError)) throw e;
    console.error(`berth: ${e.message}`);
    return 2;
  }
  for (const warning of stores.warnings) console.error(`berth: warning: data directory: ${warning}`);
  // Changes to registry state go through the registry and its listeners, as the server's do: the
  // audit log, push-time labels, and notifications (queued in the outbox; a running server's
  // delivery worker sends them, else the next start does).
  const log = createLogger({ requests: false });
  const events = new RegistryEvents(log);
  auditRegistryEvents({ events, stores, log });
  const registry = new Registry({ writes: stores.registryWrites, events, uploads: stores.uploads });
  setUpNotifications({ stores, events, config, log, testLimiter: new InProcessTestRateLimiter(), claims: new InProcessDeliveryClaims() });
  const labels = listenForPushLabels(events, stores, (target, effects) => registry.applyLabelEffects({ ...target, effects, actor: SYSTEM_ACTOR }), log);
  try {
    const answer = await chore(stores, config, registry);
    console.log(typeof answer === "string" ? answer : answer.text);
    return typeof answer === "string" ? 0 : answer.exitCode;
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`berth: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  } finally {
    await labels.settled();
    await stores.close();
  }
}

function unknownCommand(words: (string | undefined)[]): number {
  console.error(`berth: unknown command "${words.filter((w) => w !== undefined).join(" ")}"\n\n${USAGE}`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  // Everything Berth writes (database, keys, blobs, uploads) is for its owner only.
  process.umask(0o077);
  let cli;
  try {
    cli = parseCli(argv);
  } catch (e: any) {
    console.error(`berth: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const [command = "serve", sub] = cli.positionals;
  if (cli.help || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command === "version") {
    console.log(version);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(cli.flags, process.env, cli.configPath ?? process.env.BERTH_CONFIG);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`berth: ${e.message}`);
      return 2;
    }
    throw e;
  }
  config = { ...config, data: resolve(config.data) };
  if (command === "config" && sub === "check") {
    console.log(JSON.stringify(printableConfig(config), null, 2));
    return 0;
  }
  if (command === "user" || command === "org" || command === "robot" || command === "repo") {
    const name = cli.positionals[2];
    if (!name) {
      console.error(`berth: ${command} ${sub ?? ""} needs a name\n\n${USAGE}`);
      return 2;
    }
    const chore = accountChore(command, sub, name, { ...cli.values, positional3: cli.positionals[3] });
    return chore ? runChore(config, chore) : unknownCommand([command, sub]);
  }
  if (command === "token") {
    const chore = tokenChore(sub, cli.positionals[2], cli.values);
    return chore ? runChore(config, chore) : unknownCommand([command, sub]);
  }
  if (command === "tls") {
    if (sub !== "ca") return unknownCommand([command, sub]);
    const pem = localCaPem(config.data);
    if (pem === undefined) {
      console.error(`berth: no local CA in ${config.data}: serve once with --tls auto to make one`);
      return 1;
    }
    process.stdout.write(pem);
    return 0;
  }
  if (command === "gc" || command === "fsck") {
    const values = cli.values;
    return runChore(config, (stores, config, registry) => {
      const grace = graceSeconds(values.grace, config.gcGraceSeconds);
      return command === "gc" ? gc(stores, registry, { graceSeconds: grace, dryRun: !!values["dry-run"] }) : fsck(stores, registry, { graceSeconds: grace, repair: !!values.repair });
    });
  }
  if (command === "backup" || command === "restore") {
    const dir = sub;
    if (!dir) {
      console.error(`berth: ${command} needs a directory\n\n${USAGE}`);
      return 2;
    }
    if (config.database) {
      // A backup is a snapshot of berth.db; PostgreSQL has its own (pg_dump, base backups).
      console.error(`berth: ${command}: not with PostgreSQL (--database): back up the database with PostgreSQL's tools (pg_dump), the bucket with the object store's, and every node's keys/ directory; or berth migrate the registry to a data directory and back that up`);
      return 2;
    }
    if (config.storage) {
      // Backups copy blob files from the data directory; a bucket is backed up by the object store's own means.
      console.error(`berth: ${command}: not yet with S3 storage (${config.storage}): back up the bucket with the object store's tools and berth.db with berth backup on a directory-backed copy`);
      return 2;
    }
    try {
      const line = command === "backup" ? await backup(config.data, resolve(dir), { berthVersion: version }) : await restore(resolve(dir), config.data, { force: !!cli.values.force });
      console.log(line);
      return 0;
    } catch (e) {
      if (e instanceof CliError) {
        console.error(`berth: ${command}: ${e.message}`);
        return e.exitCode;
      }
      throw e;
    }
  }
  if (command === "export") {
    const values = cli.values;
    return runChore(config, (stores) => exportArchive(stores, { repositories: values.repository ?? [], output: values.output }));
  }
  if (command === "import") {
    const values = cli.values;
    return runChore(config, (stores, config, registry) =>
      importArchive(stores, registry, { location: sub, namespace: values.namespace, repository: values.repository, maxManifestBytes: config.maxManifestBytes }),
    );
  }
  if (command === "migrate") {
    const progress = (line: string) => console.error(line);
    // Only a data directory the operator named: the default (./berth-data) is where keys would land unasked.
    const explicitData = cli.values.data !== undefined || process.env.BERTH_DATA !== undefined ? config.data : undefined;
    try {
      console.log(await migrate(config, { from: cli.values.from, to: cli.values.to, storage: config.storage, dataDir: explicitData, progress }));
      return 0;
    } catch (e: any) {
      console.error(`berth: migrate: ${e?.message ?? e}`);
      return e instanceof CliError ? e.exitCode : 1;
    }
  }
  if (command !== "serve") {
    console.error(`berth: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const log = createLogger({ requests: config.logRequests, format: config.logFormat, level: config.logLevel });
  let server;
  try {
    server = await startServer(config, log);
  } catch (e: any) {
    if (e instanceof DatabaseOpenError || e instanceof ConfigError) console.error(`berth: cannot start: ${e.message}`);
    else console.error(`berth: cannot start on ${config.host}:${config.port}: ${e?.code ?? ""} ${e?.message ?? e}`);
    return 1;
  }
  if (config.auth === "none") log.info("WARNING: --auth none: anyone who can reach this port may push and pull");
  log.info(`berth ${version} listening on ${server.url} (bound ${config.host}:${config.port}), data in ${config.data}${config.database ? `, metadata in ${redactedDatabaseUrl(config.database)}` : ""}`);
  log.flush();
  let stopping = false;
  const shutdown = async (signal: string) => {
    // `bun run` forwards the signal its process group also got: stop once.
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping; requests in flight have ${config.stopGraceSeconds} s to finish`);
    log.flush();
    const report = await server.stop(config.stopGraceSeconds * 1000);
    log.info(`stopped${report.cutOff ? ` (${report.cutOff} request(s) cut off)` : ""}`);
    log.flush();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  // SIGHUP would end the process by default: here it re-reads the certificate.
  process.on("SIGHUP", () => {
    void server.reloadTls().then(
      (line) => log.info(`SIGHUP: ${line}`),
      (e) => log.error(`SIGHUP: the certificate was not reloaded (${e?.message ?? e}); the current one goes on serving`),
    ).finally(() => log.flush());
  });
  return -1; // keep serving
}

// No top-level await: `bun build --compile --bytecode` emits CommonJS.
void main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error("berth: fatal:", err);
    process.exit(1);
  },
);
