// The TLS settings taken together: what loadConfig accepts and what it refuses, naming the setting.
import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../../src/config";

describe("TLS settings", () => {
  test("off by default; stop grace 25 s", () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({ tls: "off", tlsHosts: [], stopGraceSeconds: 25 });
    expect(c.tlsCert).toBeUndefined();
  });

  test("hosts come comma-separated from flags and the environment", () => {
    expect(loadConfig({ tls: "auto", tlsHosts: "reg.lan, 10.0.0.5,::1" }, {}).tlsHosts).toEqual(["reg.lan", "10.0.0.5", "::1"]);
    expect(loadConfig({}, { BERTH_TLS: "auto", BERTH_TLS_HOSTS: "a.example,*.b.example" }).tlsHosts).toEqual(["a.example", "*.b.example"]);
  });

  const refused: [string, Record<string, string>, string][] = [
    ["a certificate without its key", { tlsCert: "/c.pem" }, "--tls-cert: give both tlsCert and tlsKey"],
    ["a key without its certificate", { tlsKey: "/k.pem" }, "--tls-key: give both tlsCert and tlsKey"],
    ["tls auto with files", { tls: "auto", tlsCert: "/c.pem", tlsKey: "/k.pem" }, "--tls: tls auto makes its own certificate"],
    ["an unknown mode", { tls: "on" }, "--tls"],
    ["a host with a space", { tls: "auto", tlsHosts: "reg lan" }, `"reg lan" is not a host name or IP address`],
    ["a host with a slash", { tls: "auto", tlsHosts: "reg/x" }, `"reg/x" is not a host name or IP address`],
    ["a redirect without TLS", { tlsRedirectPort: "8080", port: "8443" }, "a redirect to HTTPS needs TLS on"],
    ["a redirect to the same port", { tls: "auto", tlsRedirectPort: "8443", port: "8443" }, "the redirect port must differ"],
  ];
  for (const [name, flags, message] of refused) {
    test(`refused: ${name}`, () => {
      expect(() => loadConfig(flags, {})).toThrow(ConfigError);
      expect(() => loadConfig(flags, {})).toThrow(message);
    });
  }

  test("accepted: files with a redirect port; auto with names, wildcards and addresses", () => {
    expect(loadConfig({ tlsCert: "/c.pem", tlsKey: "/k.pem", tlsRedirectPort: "8080", port: "8443" }, {})).toMatchObject({ tlsRedirectPort: 8080 });
    expect(loadConfig({ tls: "auto", tlsHosts: "reg.lan,*.lab.lan,192.168.1.10,fd00::2,berth" }, {}).tls).toBe("auto");
  });
});
