#!/usr/bin/env bun
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { ConfigError, loadConfig, type Config } from "./config";
import { createLogger } from "./log";
import { startServer } from "./server";
import { openStores } from "./store";
import { collectGarbage } from "./store/garbageCollector";
import { CliError, orgAdd, repoVisibility, robotAdd, robotRegenerate, userAdd, userPasswd, userSetEnabled } from "./cli/accounts";
import { version } from "../package.json";

const USAGE = `berth ${version}: a container registry in one executable

Usage:
  berth [serve] [--port 8080] [--host 0.0.0.0] [--data ./berth-data] [--config FILE] [--auth token|none]
  berth user add NAME [--email E] [--superuser] [--password-stdin]
  berth user passwd NAME [--password-stdin]
  berth user disable|enable NAME
  berth org add NAME --owner USER
  berth robot add|regenerate OWNER+NAME   prints the robot's (new) token
  berth repo visibility NS/NAME public|private
  berth gc [--grace SECONDS]           free blobs nothing references (safe while serving;
                                       blobs and links younger than --grace, default 3600, stay)
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
      config: { type: "string", short: "c" },
      auth: { type: "string" },
      "public-url": { type: "string" },
      grace: { type: "string" },
      email: { type: "string" },
      owner: { type: "string" },
      superuser: { type: "boolean" },
      "password-stdin": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const flags: Partial<Record<keyof Config, string>> = {
    port: values.port,
    host: values.host,
    data: values.data,
    auth: values.auth,
    publicUrl: values["public-url"],
  };
  return { flags, configPath: values.config, positionals, help: values.help, values };
}

async function runAccountCommand(config: Config, command: string, sub: string | undefined, name: string | undefined, values: Record<string, unknown>): Promise<number> {
  if (!name) {
    console.error(`berth: ${command} ${sub ?? ""} needs a name\n\n${USAGE}`);
    return 2;
  }
  const stores = openStores({ dataDir: config.data, uploadTtlMs: config.uploadTtlSeconds * 1000 });
  try {
    const key = `${command} ${sub}`;
    let out: string;
    if (key === "user add") out = await userAdd(stores, name, { email: values.email as string | undefined, superuser: !!values.superuser, passwordStdin: !!values["password-stdin"] });
    else if (key === "user passwd") out = await userPasswd(stores, name, !!values["password-stdin"]);
    else if (key === "user disable" || key === "user enable") out = userSetEnabled(stores, name, sub === "enable");
    else if (key === "org add") {
      if (typeof values.owner !== "string") throw new CliError("org add needs --owner USER");
      out = orgAdd(stores, name, values.owner);
    } else if (key === "robot add") out = robotAdd(stores, name);
    else if (key === "robot regenerate") out = robotRegenerate(stores, name);
    else if (key === "repo visibility") out = repoVisibility(stores, name, values.positional3 as string | undefined);
    else {
      console.error(`berth: unknown command "${key}"\n\n${USAGE}`);
      return 2;
    }
    console.log(out);
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`berth: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    stores.close();
  }
}

async function main(argv: string[]): Promise<number> {
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
    console.log(JSON.stringify(config, null, 2));
    return 0;
  }
  if (command === "user" || command === "org" || command === "robot" || command === "repo") {
    return runAccountCommand(config, command, sub, cli.positionals[2], { ...cli.values, positional3: cli.positionals[3] });
  }
  if (command === "gc") {
    const grace = Number(cli.values.grace ?? 3600);
    if (!Number.isInteger(grace) || grace < 0) {
      console.error(`berth: --grace must be a whole number of seconds, got "${cli.values.grace}"`);
      return 2;
    }
    const stores = openStores({ dataDir: config.data, uploadTtlMs: config.uploadTtlSeconds * 1000 });
    try {
      const report = await collectGarbage(stores.db, stores.blobs, grace * 1000);
      console.log(
        `gc: removed ${report.linksRemoved} stale repository links, ${report.rowsRemoved} blob rows, ` +
          `${report.filesRemoved} files (${report.bytesFreed} bytes freed)`,
      );
    } finally {
      stores.close();
    }
    return 0;
  }
  if (command !== "serve") {
    console.error(`berth: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const log = createLogger({ requests: config.logRequests });
  let server;
  try {
    server = await startServer(config, log);
  } catch (e: any) {
    console.error(`berth: cannot start on ${config.host}:${config.port}: ${e?.code ?? ""} ${e?.message ?? e}`);
    return 1;
  }
  if (config.auth === "none") log.info("WARNING: --auth none: anyone who can reach this port may push and pull");
  log.info(`berth ${version} listening on ${server.url} (bound ${config.host}:${config.port}), data in ${config.data}`);
  log.flush();
  let stopping = false;
  const shutdown = async (signal: string) => {
    // `bun run` forwards the signal its process group also got: stop once.
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    await server.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  return -1; // keep serving
}

// No top-level await: `bun build --compile --bytecode` emits CommonJS.
main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error("berth: fatal:", err);
    process.exit(1);
  },
);
