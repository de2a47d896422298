import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { readFileSync } from "node:fs";
import { parseIp, parseIpRange } from "./ipAddress";

// One schema for every setting. Sources merge in this order: defaults, config file, BERTH_*
// environment variables, command-line flags. Each setting's env name is BERTH_ + its name in
// UPPER_SNAKE_CASE (dataDir → BERTH_DATA is the one exception, kept short for the README).

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ default: "0.0.0.0", minLength: 1, description: "address to listen on" }),
    port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: "TCP port" }),
    data: Type.String({ default: "./berth-data", minLength: 1, description: "data directory" }),
    storage: Type.Optional(
      Type.String({
        pattern: "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$",
        description: "keep blobs in an S3-compatible bucket, s3://bucket/prefix (the database stays in the data directory unless `database` is set); default: the data directory",
      }),
    ),
    database: Type.Optional(
      Type.String({
        pattern: "^postgres(ql)?://",
        description:
          "keep the metadata in PostgreSQL, postgres://user:password@host:port/database (several nodes may share it; keys stay in each node's data directory, copied from the first); default: SQLite in the data directory",
      }),
    ),
    s3Endpoint: Type.Optional(Type.String({ pattern: "^https?://", description: "the S3 endpoint URL; default: https://s3.<s3Region>.amazonaws.com" })),
    s3Region: Type.String({ default: "us-east-1", minLength: 1, description: "the S3 region requests are signed for" }),
    s3AccessKey: Type.Optional(Type.String({ minLength: 1, description: "S3 access key id" })),
    s3SecretKey: Type.Optional(Type.String({ minLength: 1, description: "S3 secret access key" })),
    s3PathStyle: Type.Boolean({
      default: false,
      description: "address the bucket as <endpoint>/<bucket> (Ceph RGW, MinIO) instead of <bucket>.<endpoint host> (AWS)",
    }),
    storageRedirect: Type.Boolean({
      default: false,
      description: "with S3 storage, blob pulls answer 307 to a presigned URL (20 minutes) instead of streaming through Berth (Distribution's redirect)",
    }),
    auth: Type.Union([Type.Literal("token"), Type.Literal("none")], {
      default: "token",
      description: "token: Docker token auth at /v2/auth; none: anyone may push and pull",
    }),
    publicUrl: Type.Optional(Type.String({ pattern: "^https?://", description: "URL clients use, for the token realm" })),
    service: Type.Optional(Type.String({ minLength: 1, description: "token service name (JWT aud); default: the Host clients use" })),
    tokenIssuer: Type.String({ default: "berth", minLength: 1, description: "JWT iss" }),
    tokenLifetimeSeconds: Type.Integer({ default: 3600, minimum: 60, maximum: 86400, description: "registry token lifetime" }),
    signingKeyFile: Type.Optional(Type.String({ minLength: 1, description: "PEM (PKCS8) private key for tokens; default: generated" })),
    superusers: Type.Array(Type.String({ minLength: 1 }), { default: ["admin"], description: "superuser names" }),
    readonlySuperusers: Type.Array(Type.String({ minLength: 1 }), { default: [], description: "global read-only superusers" }),
    credentialCacheSeconds: Type.Integer({
      default: 60,
      minimum: 0,
      maximum: 3600,
      description: "remember successful /v2/auth credential checks this long (0: off)",
    }),
    superuserFullAccess: Type.Boolean({ default: true, description: "superusers may read and push every repository" }),
    sessionLifetimeSeconds: Type.Integer({
      default: 31 * 24 * 3600,
      minimum: 60,
      description: "how long an API v1 login lasts from sign-in; the server refuses older sessions (Quay's SESSION_TIMEOUT, 31 days)",
    }),
    userInitialize: Type.Boolean({
      default: false,
      description: "no bootstrap admin: the first user comes from POST /api/v1/user/initialize (Quay's FEATURE_USER_INITIALIZE)",
    }),
    userCreation: Type.Boolean({ default: true, description: "anyone may sign up at POST /api/v1/user/ (Quay's FEATURE_USER_CREATION)" }),
    maxManifestBytes: Type.Integer({ default: 4 * 1024 * 1024, minimum: 1024, description: "largest manifest accepted" }),
    maxBodyBytes: Type.Integer({
      default: 1024 ** 4,
      minimum: 1024 * 1024,
      description: "largest request body (Bun refuses bigger ones); blobs are streamed, never buffered",
    }),
    uploadTtlSeconds: Type.Integer({ default: 24 * 3600, minimum: 60, description: "idle upload sessions expire after this" }),
    gcIntervalSeconds: Type.Integer({
      default: 3600,
      minimum: 0,
      description: "run a collection pass (time machine purge, unreferenced manifests and blobs, expired uploads) this often in the server; 0: never (berth gc still works)",
    }),
    gcGraceSeconds: Type.Integer({
      default: 3600,
      minimum: 0,
      description: "blobs uploaded or mounted and manifests pushed within this long survive collection though nothing references them yet (pushes in flight); files at least a minute",
    }),
    maxApiBodyBytes: Type.Integer({
      default: 1024 * 1024,
      minimum: 1024,
      description: "largest request body except blob uploads and manifests (API v1, OAuth, /v2/auth, health); larger ones get 413 unread",
    }),
    bodyStallSeconds: Type.Integer({
      default: 60,
      minimum: 1,
      maximum: 3600,
      description: "cut off an upload body that sends nothing for this long (the session keeps what arrived); other bodies must arrive whole within it",
    }),
    autoPruneIntervalSeconds: Type.Integer({
      default: 3600,
      minimum: 0,
      maximum: 30 * 24 * 3600,
      description: "how often auto-prune policies run (Quay's autoprune worker: hourly per namespace); 0: never",
    }),
    maxOpenUploadsPerAccount: Type.Integer({
      default: 256,
      minimum: 1,
      description: "open upload sessions per account (per client address with --auth none); more answer 429 TOOMANYREQUESTS",
    }),
    logRequests: Type.Boolean({ default: true, description: "one log line per request" }),
    logFormat: Type.Union([Type.Literal("text"), Type.Literal("json")], {
      default: "text",
      description: "text: one readable line per event; json: one JSON object per line (time, level, msg, request fields)",
    }),
    logLevel: Type.Union([Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")], {
      default: "info",
      description: "the least severe level written; request lines are info (4xx) and warn (5xx)",
    }),
    metricsAddress: Type.Optional(
      Type.String({
        pattern: "^(\\[[0-9A-Fa-f:.]+\\]|[^:\\s\\[\\]]+):[0-9]{1,5}$",
        description: "serve Prometheus /metrics on this HOST:PORT (e.g. 127.0.0.1:9090), apart from the public port",
      }),
    ),
    metricsToken: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 256,
        pattern: "^[\\x21-\\x7e]+$",
        description: "serve /metrics on the public port to `Authorization: Bearer <this>` only (and require it on metricsAddress too)",
      }),
    ),
    notificationAllowLoopback: Type.Boolean({
      default: false,
      description: "allow notification webhooks to loopback addresses (refused by default, as in Quay)",
    }),
    notificationAllowLinkLocal: Type.Boolean({
      default: false,
      description: "allow notification webhooks to link-local addresses (169.254/16, fe80::/10: cloud metadata services)",
    }),
    notificationAllowPrivate: Type.Boolean({
      default: true,
      description: "allow notification webhooks to private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)",
    }),
    mirrorPollSeconds: Type.Integer({
      default: 30,
      minimum: 0,
      maximum: 3600,
      description: "how often the server looks for repository mirrors due to sync (Quay's repomirrorworker); 0: never",
    }),
    mirrorConcurrency: Type.Integer({ default: 2, minimum: 1, maximum: 64, description: "repository mirrors synced at once" }),
    mirrorAllowLoopback: Type.Boolean({
      default: false,
      description: "allow repository mirrors of registries on loopback addresses (this host; refused by default)",
    }),
    mirrorAllowLinkLocal: Type.Boolean({
      default: false,
      description: "allow repository mirrors of registries on link-local addresses (169.254/16, fe80::/10: cloud metadata services)",
    }),
    trustedProxies: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: "reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client; none by default",
    }),
    tls: Type.Union([Type.Literal("off"), Type.Literal("auto")], {
      default: "off",
      description: "auto: serve HTTPS with a certificate from a local CA made in the data directory (tls/); off: plain HTTP, unless tlsCert and tlsKey are set",
    }),
    tlsCert: Type.Optional(Type.String({ minLength: 1, description: "PEM certificate to serve HTTPS with (a chain: the server's first); re-read on SIGHUP" })),
    tlsKey: Type.Optional(Type.String({ minLength: 1, description: "PEM private key of tlsCert; re-read on SIGHUP" })),
    tlsHosts: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
      default: [],
      description: "names and addresses the automatic server certificate is for; default: this machine's host name, localhost and the machine's addresses",
    }),
    tlsRedirectPort: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: "with TLS on, also answer plain HTTP on this port with a redirect to HTTPS" }),
    ),
    rateLimits: Type.Boolean({
      default: true,
      description: "rate limits per client address and per account (the rateLimit* settings); false: none at all",
    }),
    rateLimitAuthPerSecond: Type.Number({ default: 10, minimum: 0, description: "token requests (/v2/auth) a second per address and per account; 0: unlimited" }),
    rateLimitAuthBurst: Type.Integer({ default: 100, minimum: 1, description: "token requests allowed at once per address and per account" }),
    rateLimitV2WritesPerSecond: Type.Number({
      default: 100,
      minimum: 0,
      description: "/v2 writes (upload requests, manifest PUTs, deletes) a second per address and per account; 0: unlimited",
    }),
    rateLimitV2WritesBurst: Type.Integer({ default: 1000, minimum: 1, description: "/v2 writes allowed at once per address and per account" }),
    rateLimitV1WritesPerSecond: Type.Number({ default: 10, minimum: 0, description: "API v1 writes (any method but GET, HEAD, OPTIONS) a second per address and per account; 0: unlimited" }),
    rateLimitV1WritesBurst: Type.Integer({ default: 100, minimum: 1, description: "API v1 writes allowed at once per address and per account" }),
    rateLimitReadsPerSecond: Type.Number({
      default: 0,
      minimum: 0,
      description: "reads (/v2/<name>/… GET and HEAD, API v1 GETs) a second per address and per account; 0 (the default): unlimited",
    }),
    rateLimitReadsBurst: Type.Integer({ default: 1000, minimum: 1, description: "reads allowed at once per address and per account, when limited" }),
    rateLimitMaxBuckets: Type.Integer({
      default: 100_000,
      minimum: 100,
      description: "most rate-limit buckets kept in memory (refilled ones are forgotten first, then the least recently used)",
    }),
    registryState: Type.Union([Type.Literal("normal"), Type.Literal("readonly")], {
      default: "normal",
      description: "readonly: pulls and reads work, every write is refused (Quay's REGISTRY_STATE), and the lifecycle (collection, auto-prune) does not run; for maintenance and mirrors",
    }),
    stopGraceSeconds: Type.Integer({
      default: 25,
      minimum: 0,
      maximum: 3600,
      description: "on SIGTERM/SIGINT, how long requests in flight may take to finish before their connections are closed (interrupted uploads stay resumable)",
    }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

export const ENV_NAMES: Record<keyof Config, string> = {
  host: "BERTH_HOST",
  port: "BERTH_PORT",
  data: "BERTH_DATA",
  storage: "BERTH_STORAGE",
  database: "BERTH_DATABASE",
  s3Endpoint: "BERTH_S3_ENDPOINT",
  s3Region: "BERTH_S3_REGION",
  s3AccessKey: "BERTH_S3_ACCESS_KEY",
  s3SecretKey: "BERTH_S3_SECRET_KEY",
  s3PathStyle: "BERTH_S3_PATH_STYLE",
  storageRedirect: "BERTH_STORAGE_REDIRECT",
  auth: "BERTH_AUTH",
  publicUrl: "BERTH_PUBLIC_URL",
  service: "BERTH_SERVICE",
  tokenIssuer: "BERTH_TOKEN_ISSUER",
  tokenLifetimeSeconds: "BERTH_TOKEN_LIFETIME_SECONDS",
  signingKeyFile: "BERTH_SIGNING_KEY_FILE",
  superusers: "BERTH_SUPERUSERS",
  readonlySuperusers: "BERTH_READONLY_SUPERUSERS",
  superuserFullAccess: "BERTH_SUPERUSER_FULL_ACCESS",
  credentialCacheSeconds: "BERTH_CREDENTIAL_CACHE_SECONDS",
  sessionLifetimeSeconds: "BERTH_SESSION_LIFETIME_SECONDS",
  userInitialize: "BERTH_USER_INITIALIZE",
  userCreation: "BERTH_USER_CREATION",
  maxManifestBytes: "BERTH_MAX_MANIFEST_BYTES",
  maxBodyBytes: "BERTH_MAX_BODY_BYTES",
  uploadTtlSeconds: "BERTH_UPLOAD_TTL_SECONDS",
  gcIntervalSeconds: "BERTH_GC_INTERVAL_SECONDS",
  gcGraceSeconds: "BERTH_GC_GRACE_SECONDS",
  maxApiBodyBytes: "BERTH_MAX_API_BODY_BYTES",
  bodyStallSeconds: "BERTH_BODY_STALL_SECONDS",
  autoPruneIntervalSeconds: "BERTH_AUTO_PRUNE_INTERVAL_SECONDS",
  maxOpenUploadsPerAccount: "BERTH_MAX_OPEN_UPLOADS_PER_ACCOUNT",
  logRequests: "BERTH_LOG_REQUESTS",
  logFormat: "BERTH_LOG_FORMAT",
  logLevel: "BERTH_LOG_LEVEL",
  metricsAddress: "BERTH_METRICS_ADDRESS",
  metricsToken: "BERTH_METRICS_TOKEN",
  notificationAllowLoopback: "BERTH_NOTIFICATION_ALLOW_LOOPBACK",
  notificationAllowLinkLocal: "BERTH_NOTIFICATION_ALLOW_LINK_LOCAL",
  notificationAllowPrivate: "BERTH_NOTIFICATION_ALLOW_PRIVATE",
  mirrorPollSeconds: "BERTH_MIRROR_POLL_SECONDS",
  mirrorConcurrency: "BERTH_MIRROR_CONCURRENCY",
  mirrorAllowLoopback: "BERTH_MIRROR_ALLOW_LOOPBACK",
  mirrorAllowLinkLocal: "BERTH_MIRROR_ALLOW_LINK_LOCAL",
  trustedProxies: "BERTH_TRUSTED_PROXIES",
  tls: "BERTH_TLS",
  tlsCert: "BERTH_TLS_CERT",
  tlsKey: "BERTH_TLS_KEY",
  tlsHosts: "BERTH_TLS_HOSTS",
  tlsRedirectPort: "BERTH_TLS_REDIRECT_PORT",
  stopGraceSeconds: "BERTH_STOP_GRACE_SECONDS",
  registryState: "BERTH_REGISTRY_STATE",
  rateLimits: "BERTH_RATE_LIMITS",
  rateLimitAuthPerSecond: "BERTH_RATE_LIMIT_AUTH_PER_SECOND",
  rateLimitAuthBurst: "BERTH_RATE_LIMIT_AUTH_BURST",
  rateLimitV2WritesPerSecond: "BERTH_RATE_LIMIT_V2_WRITES_PER_SECOND",
  rateLimitV2WritesBurst: "BERTH_RATE_LIMIT_V2_WRITES_BURST",
  rateLimitV1WritesPerSecond: "BERTH_RATE_LIMIT_V1_WRITES_PER_SECOND",
  rateLimitV1WritesBurst: "BERTH_RATE_LIMIT_V1_WRITES_BURST",
  rateLimitReadsPerSecond: "BERTH_RATE_LIMIT_READS_PER_SECOND",
  rateLimitReadsBurst: "BERTH_RATE_LIMIT_READS_BURST",
  rateLimitMaxBuckets: "BERTH_RATE_LIMIT_MAX_BUCKETS",
};

export class ConfigError extends Error {}

/** Settings that are credentials: never echoed in errors or `berth config check`. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(["metricsToken", "s3SecretKey"]);

/** The settings as they may be shown: secrets replaced by "(set)". */
export function printableConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...config };
  for (const key of SECRET_SETTINGS) if (shown[key] !== undefined) shown[key] = "(set)";
  if (config.database !== undefined) shown.database = redactedDatabaseUrl(config.database);
  return shown;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e: any) {
    throw new ConfigError(`config file ${path}: ${e?.code === "ENOENT" ? "not found" : e?.message}`);
  }
  try {
    const parsed = /\.ya?ml$/i.test(path) ? Bun.YAML.parse(text) : JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("the top level must be an object");
    return parsed as Record<string, unknown>;
  } catch (e: any) {
    throw new ConfigError(`config file ${path}: ${e?.message ?? e}`);
  }
}

/** Lists come from the environment and flags comma-separated. */
function listOrValue(key: string, v: string): unknown {
  return (ConfigSchema.properties as any)[key]?.type === "array" ? v.split(",").map((x) => x.trim()).filter(Boolean) : v;
}

/**
 * Merges and validates settings. `flags` are already-parsed command-line options (strings),
 * `configPath` a file given by --config or BERTH_CONFIG. Throws ConfigError naming the setting.
 */
export function loadConfig(
  flags: Partial<Record<keyof Config, string>> = {},
  env: Record<string, string | undefined> = process.env,
  configPath = env.BERTH_CONFIG,
): Config {
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  if (configPath) {
    for (const [k, v] of Object.entries(readConfigFile(configPath))) {
      merged[k] = v;
      origin[k] = `${k} in ${configPath}`;
    }
  }
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const v = env[name];
    if (v !== undefined && v !== "") {
      merged[key] = listOrValue(key, v);
      origin[key] = name;
    }
  }
  for (const [k, v] of Object.entries(flags)) {
    if (v !== undefined) {
      merged[k] = listOrValue(k, v);
      origin[k] = `--${k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`;
    }
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, merged));
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length) {
    const lines = errors.map((e) => {
      const key = e.path.replace(/^\//, "");
      const where = origin[key] ?? key;
      if (!key) return `${e.message}`;
      if (!(key in ConfigSchema.properties)) return `unknown setting "${key}" (${where})`;
      if (SECRET_SETTINGS.has(key)) return `${where}: ${e.message}`;
      if (key === "database") return `${where}: ${e.message} (got ${JSON.stringify(redactedDatabaseUrl(String((withDefaults as any)[key])))})`;
      return `${where}: ${e.message} (got ${JSON.stringify((withDefaults as any)[key])})`;
    });
    throw new ConfigError(`invalid configuration:\n  ${[...new Set(lines)].join("\n  ")}`);
  }
  const badProxy = (withDefaults as Config).trustedProxies.find((p) => !parseIpRange(p));
  if (badProxy !== undefined) {
    throw new ConfigError(`invalid configuration:\n  ${origin.trustedProxies ?? "trustedProxies"}: "${badProxy}" is not an IP address or CIDR range`);
  }
  const c = withDefaults as Config;
  if (c.storage && (c.s3AccessKey === undefined || c.s3SecretKey === undefined)) {
    throw new ConfigError(`invalid configuration:\n  ${origin.storage ?? "storage"}: S3 storage needs s3AccessKey and s3SecretKey`);
  }
  if (c.database !== undefined && !URL.canParse(c.database)) {
    throw new ConfigError(`invalid configuration:\n  ${origin.database ?? "database"}: not a URL (postgres://user:password@host:port/database)`);
  }
  const tlsProblem = tlsSettingsProblem(withDefaults as Config, origin);
  if (tlsProblem) throw new ConfigError(`invalid configuration:\n  ${tlsProblem}`);
  return withDefaults as Config;
}

// A DNS name (a leading "*." for a wildcard) of letters, digits and "-"; IP addresses go through the IP parser.
const TLS_HOST_NAME = /^(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** What is wrong with the TLS settings taken together, or undefined. */
function tlsSettingsProblem(c: Config, origin: Record<string, string>): string | undefined {
  const where = (key: keyof Config) => origin[key] ?? key;
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    return `${c.tlsCert === undefined ? where("tlsKey") : where("tlsCert")}: give both tlsCert and tlsKey`;
  }
  if (c.tls === "auto" && c.tlsCert !== undefined) return `${where("tls")}: tls auto makes its own certificate; drop tlsCert/tlsKey or tls auto`;
  const badHost = c.tlsHosts.find((h) => !TLS_HOST_NAME.test(h) && !parseIp(h));
  if (badHost !== undefined) return `${where("tlsHosts")}: "${badHost}" is not a host name or IP address`;
  if (c.tlsRedirectPort !== undefined) {
    if (c.tls !== "auto" && c.tlsCert === undefined) return `${where("tlsRedirectPort")}: a redirect to HTTPS needs TLS on (tls auto, or tlsCert and tlsKey)`;
    if (c.tlsRedirectPort === c.port && c.port !== 0) return `${where("tlsRedirectPort")}: the redirect port must differ from port ${c.port}`;
  }
  return undefined;
}

/** A database URL as it may be shown: its password replaced by "(set)" (logs, errors, `berth config check`). */
export function redactedDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "(set)";
    // A password in the query (?password=…) is one too.
    for (const key of [...u.searchParams.keys()]) if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, "(set)");
    return u.toString();
  } catch {
    return "(a URL that does not parse)";
  }
}

/** `text` with every occurrence of the database URL's password (raw or decoded) replaced. */
export function withoutDatabasePassword(text: string, url: string): string {
  let password = "";
  try {
    password = new URL(url).password;
  } catch {}
  let out = text.split(url).join(redactedDatabaseUrl(url));
  for (const p of new Set([password, safeDecode(password)])) if (p.length >= 1) out = out.split(p).join("(set)");
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
