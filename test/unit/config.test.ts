import { describe, expect, test } from "bun:test";
import { writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig, printableConfig, withoutDatabasePassword } from "../../src/config";
import { tempDir } from "../support/server";

describe("config", () => {
  test("embedded defaults serve on 0.0.0.0:8080 with data in ./berth-data", () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({ host: "0.0.0.0", port: 8080, data: "./berth-data", auth: "token", maxManifestBytes: 4 * 1024 * 1024 });
    expect(c.superusers).toEqual(["admin"]);
  });

  test("lists come from the environment comma-separated", () => {
    const c = loadConfig({}, { BERTH_SUPERUSERS: "admin, ops", BERTH_READONLY_SUPERUSERS: "auditor" });
    expect(c.superusers).toEqual(["admin", "ops"]);
    expect(c.readonlySuperusers).toEqual(["auditor"]);
  });

  test("trustedProxies: none by default; addresses and CIDR ranges of both families", () => {
    expect(loadConfig({}, {}).trustedProxies).toEqual([]);
    const c = loadConfig({}, { BERTH_TRUSTED_PROXIES: "10.0.0.0/8, ::1, fd00::/8, ::ffff:192.168.0.0/112" });
    expect(c.trustedProxies).toEqual(["10.0.0.0/8", "::1", "fd00::/8", "::ffff:192.168.0.0/112"]);
  });

  test("file < environment < flags", () => {
    const dir = tempDir("berth-cfg-");
    const file = join(dir, "berth.json");
    writeFileSync(file, JSON.stringify({ port: 7000, host: "127.0.0.1", data: "/file" }));
    const c = loadConfig({ data: "/flag" }, { BERTH_PORT: "7001" }, file);
    expect(c).toMatchObject({ port: 7001, host: "127.0.0.1", data: "/flag" });
    rmSync(dir, { recursive: true });
  });

  test("YAML config files are read", () => {
    const dir = tempDir("berth-cfg-");
    const file = join(dir, "berth.yaml");
    writeFileSync(file, "port: 9000\nlogRequests: false\n");
    expect(loadConfig({}, {}, file)).toMatchObject({ port: 9000, logRequests: false });
    rmSync(dir, { recursive: true });
  });

  test.each([
    [{ port: "abc" }, {}, /--port: Expected integer/],
    [{}, { BERTH_PORT: "70000" }, /BERTH_PORT: .*65535/],
    [{}, { BERTH_AUTH: "ldap" }, /BERTH_AUTH/],
    [{}, { BERTH_MAX_MANIFEST_BYTES: "10" }, /BERTH_MAX_MANIFEST_BYTES/],
    [{}, { BERTH_PUBLIC_URL: "ftp://x" }, /BERTH_PUBLIC_URL/],
    [{}, { BERTH_LOG_REQUESTS: "maybe" }, /BERTH_LOG_REQUESTS/],
    [{}, { BERTH_TRUSTED_PROXIES: "10.0.0.0/8,proxy.local" }, /BERTH_TRUSTED_PROXIES: "proxy.local" is not an IP address or CIDR range/],
    [{ trustedProxies: "10.0.0.0/33" }, {}, /--trusted-proxies: "10.0.0.0\/33"/],
    [{}, { BERTH_REGISTRY_STATE: "maintenance" }, /BERTH_REGISTRY_STATE/],
    [{}, { BERTH_RATE_LIMIT_V2_WRITES_PER_SECOND: "-1" }, /BERTH_RATE_LIMIT_V2_WRITES_PER_SECOND/],
    [{}, { BERTH_RATE_LIMIT_AUTH_BURST: "0" }, /BERTH_RATE_LIMIT_AUTH_BURST/],
  ] as const)("a bad value names its setting: %j %j", (flags, env, message) => {
    expect(() => loadConfig(flags as any, env as any)).toThrow(ConfigError);
    expect(() => loadConfig(flags as any, env as any)).toThrow(message);
  });

  test("unknown keys and unreadable files are refused with the file named", () => {
    const dir = tempDir("berth-cfg-");
    const file = join(dir, "berth.json");
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({}, {}, file)).toThrow(/unknown setting "prot"/);
    writeFileSync(file, "{not json");
    expect(() => loadConfig({}, {}, file)).toThrow(/berth.json/);
    expect(() => loadConfig({}, {}, join(dir, "missing.json"))).toThrow(/not found/);
    rmSync(dir, { recursive: true });
  });
});

describe("observability settings", () => {
  test("logFormat, logLevel and metricsAddress from the environment", () => {
    const c = loadConfig({}, { BERTH_LOG_FORMAT: "json", BERTH_LOG_LEVEL: "warn", BERTH_METRICS_ADDRESS: "127.0.0.1:9090" });
    expect([c.logFormat, c.logLevel, c.metricsAddress]).toEqual(["json", "warn", "127.0.0.1:9090"]);
    expect(loadConfig({}, {}).logFormat).toBe("text");
    expect(loadConfig({ metricsAddress: "[::1]:9100" }, {}).metricsAddress).toBe("[::1]:9100");
  });

  test.each(["9090", "127.0.0.1", "a b:1", "::1:9090", "host:port"])("metricsAddress %j is refused", (address) => {
    expect(() => loadConfig({ metricsAddress: address }, {})).toThrow(/--metrics-address/);
  });

  test("a bad metricsToken is refused without being echoed; config check shows it as (set)", () => {
    for (const bad of ["short-secret", "has space in the token value"]) {
      let message = "";
      try {
        loadConfig({}, { BERTH_METRICS_TOKEN: bad });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain("BERTH_METRICS_TOKEN");
      expect(message).not.toContain(bad);
    }
    const c = loadConfig({}, { BERTH_METRICS_TOKEN: "a-long-enough-metrics-token" });
    expect(c.metricsToken).toBe("a-long-enough-metrics-token");
    expect(JSON.stringify(printableConfig(c))).not.toContain("a-long-enough-metrics-token");
    expect(printableConfig(c).metricsToken).toBe("(set)");
  });
});

describe("S3 storage settings", () => {
  const s3Env = { BERTH_STORAGE: "s3://berth-blobs/registry", BERTH_S3_ACCESS_KEY: "key", BERTH_S3_SECRET_KEY: "a-secret-value", BERTH_S3_PATH_STYLE: "true" };

  test("storage, keys and path style come from the environment; the secret is never printed", () => {
    const c = loadConfig({}, s3Env);
    expect([c.storage, c.s3AccessKey, c.s3PathStyle, c.s3Region, c.storageRedirect]).toEqual(["s3://berth-blobs/registry", "key", true, "us-east-1", false]);
    expect(JSON.stringify(printableConfig(c))).not.toContain("a-secret-value");
    expect(loadConfig({ storage: "s3://other" }, s3Env).storage).toBe("s3://other");
  });

  test.each(["file:///tmp/x", "s3://", "s3://UPPER/x", "https://bucket"])("storage %j is refused", (storage) => {
    expect(() => loadConfig({ storage }, { ...s3Env, BERTH_STORAGE: "" })).toThrow(/--storage/);
  });

  test("S3 storage without keys is refused, naming the setting", () => {
    expect(() => loadConfig({}, { BERTH_STORAGE: "s3://bucket" })).toThrow(/BERTH_STORAGE: S3 storage needs s3AccessKey and s3SecretKey/);
  });
});

describe("database setting", () => {
  const url = "postgres://berth:pa%40ss-w0rd@db.internal:5432/registry?sslmode=require";

  test("from the flag, the environment or the file; default none (SQLite in the data directory)", () => {
    expect(loadConfig({}, {}).database).toBeUndefined();
    expect(loadConfig({}, { BERTH_DATABASE: url }).database).toBe(url);
    expect(loadConfig({ database: "postgresql://h/db" }, { BERTH_DATABASE: url }).database).toBe("postgresql://h/db");
  });

  test("config check shows the URL without its password", () => {
    const shown = JSON.stringify(printableConfig(loadConfig({ database: url }, {})));
    expect(shown).not.toContain("pa%40ss-w0rd");
    expect(shown).not.toContain("pa@ss-w0rd");
    expect(shown).toContain("postgres://berth:(set)@db.internal:5432/registry?sslmode=require");
  });

  test.each(["mysql://u:pa%40ss-w0rd@h/db", "postgres://u:pa%40ss-w0rd@[bad/db", "pa%40ss-w0rd"])("%j is refused without echoing the password", (bad) => {
    let message = "";
    try {
      loadConfig({ database: bad }, {});
    } catch (e: any) {
      expect(e).toBeInstanceOf(ConfigError);
      message = e.message;
    }
    expect(message).toContain("--database");
    expect(message).not.toContain("pa%40ss-w0rd");
    expect(message).not.toContain("pa@ss-w0rd");
  });

  test("an error's text loses the password, encoded or not", () => {
    expect(withoutDatabasePassword(`cannot reach ${url}: pa@ss-w0rd refused`, url)).toBe("cannot reach postgres://berth:(set)@db.internal:5432/registry?sslmode=require: (set) refused");
  });
});
