import { recordClientAddress } from "../../../src/auth/clientAddress";
import { describe, expect, test } from "bun:test";
import { deriveExternalBase, externalBase, isValidHost, type RequestOriginHeaders } from "../../../src/auth/externalUrl.ts";

const origin = (o: Partial<RequestOriginHeaders>): RequestOriginHeaders => ({
  host: null,
  forwardedHost: null,
  forwardedProto: null,
  secure: false,
  ...o,
});

describe("isValidHost", () => {
  const valid = [
    "localhost",
    "localhost:8080",
    "127.0.0.1:5000",
    "registry.example.com",
    "Registry.Example.COM:443",
    "berth_registry:8080",
    "a",
    "[::1]",
    "[::1]:8080",
    "[2001:db8::7]:65535",
    `${"a".repeat(63)}.example`,
    "registry.example.com.",
    "registry.example.com.:5000",
  ];
  const invalid = [
    "",
    "evil.com\"",
    "evil.com\r\nX-Injected: 1",
    "a,b",
    "a, b",
    "evil.com/path",
    "user@evil.com",
    "evil.com:80@other",
    "a b",
    "a\tb",
    "évil.com",
    "host:0",
    "host:65536",
    "host:123456",
    "host:",
    ":8080",
    "-leading.example",
    "trailing-.example",
    "a..b",
    "a.b..",
    ".a",
    `${"a".repeat(64)}.example`,
    "x".repeat(300),
    "[::1",
    "[not-ipv6]",
    "[::1]x",
    "javascript:alert(1)",
    "host:80:81",
  ];
  for (const h of valid) test(`accepts ${JSON.stringify(h)}`, () => expect(isValidHost(h)).toBe(true));
  for (const h of invalid) test(`refuses ${JSON.stringify(h.slice(0, 40))}`, () => expect(isValidHost(h)).toBe(false));
});

describe("deriveExternalBase", () => {
  const cases: { name: string; settings?: { publicUrl?: string; port?: number }; origin: Partial<RequestOriginHeaders>; trusted?: boolean; want: string }[] = [
    { name: "Host as sent", origin: { host: "127.0.0.1:8080" }, want: "http://127.0.0.1:8080" },
    { name: "TLS connection", origin: { host: "reg.example", secure: true }, want: "https://reg.example" },
    { name: "publicUrl wins over every header", settings: { publicUrl: "https://reg.example.com/" }, origin: { host: "evil.com", forwardedHost: "evil2.com", forwardedProto: "http" }, want: "https://reg.example.com" },
    { name: "publicUrl keeps its path", settings: { publicUrl: "https://proxy.example/berth//" }, origin: { host: "x" }, want: "https://proxy.example/berth" },
    { name: "trusted X-Forwarded-Proto", origin: { host: "reg.example", forwardedProto: "https" }, want: "https://reg.example" },
    { name: "X-Forwarded-Proto any case", origin: { host: "reg.example", forwardedProto: " HTTPS " }, want: "https://reg.example" },
    { name: "untrusted X-Forwarded-Proto ignored", origin: { host: "reg.example", forwardedProto: "https" }, trusted: false, want: "http://reg.example" },
    { name: "bad proto ignored", origin: { host: "reg.example", forwardedProto: 'javascript"' }, want: "http://reg.example" },
    { name: "proto list ignored", origin: { host: "reg.example", forwardedProto: "https,http" }, want: "http://reg.example" },
    { name: "trusted X-Forwarded-Host", origin: { host: "berth:8080", forwardedHost: "reg.example.com" }, want: "http://reg.example.com" },
    { name: "untrusted X-Forwarded-Host ignored", origin: { host: "berth:8080", forwardedHost: "reg.example.com" }, trusted: false, want: "http://berth:8080" },
    { name: "bad X-Forwarded-Host falls back to Host", origin: { host: "berth:8080", forwardedHost: "a.com, b.com" }, want: "http://berth:8080" },
    { name: "forged Host with a quote", settings: { port: 8080 }, origin: { host: 'evil.com"' }, want: "http://localhost:8080" },
    { name: "forged Host with CRLF", settings: { port: 8080 }, origin: { host: "evil.com\r\nSet-Cookie: x=1" }, want: "http://localhost:8080" },
    { name: "duplicate Host headers joined by a comma", settings: { port: 8080 }, origin: { host: "127.0.0.1:8080, evil.com" }, want: "http://localhost:8080" },
    { name: "Host with a path", settings: { port: 8080 }, origin: { host: "evil.com/x" }, want: "http://localhost:8080" },
    { name: "Host with an at-sign", settings: { port: 8080 }, origin: { host: "me@evil.com" }, want: "http://localhost:8080" },
    { name: "overlong Host", settings: { port: 8080 }, origin: { host: "a.".repeat(200) + "com" }, want: "http://localhost:8080" },
    { name: "no Host, port 0", settings: { port: 0 }, origin: {}, want: "http://localhost" },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const base = deriveExternalBase(c.settings ?? {}, origin(c.origin), c.trusted ?? true);
      expect(base.url).toBe(c.want);
      const u = new URL(c.want);
      expect(base.host).toBe(u.host);
      expect(base.scheme).toBe(u.protocol === "https:" ? "https" : "http");
    });
  }
});

test("externalBase reads Host, and X-Forwarded-Host/-Proto only from a trusted proxy", () => {
  const headers = { Host: "reg.example:5000", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "proxied.example" };
  const direct = new Request("http://127.0.0.1:9/v2/", { headers });
  expect(externalBase({}, direct)).toEqual({ scheme: "http", host: "reg.example:5000", url: "http://reg.example:5000" });
  const proxied = new Request("http://127.0.0.1:9/v2/", { headers });
  recordClientAddress(proxied, "192.0.2.7", true);
  expect(externalBase({}, proxied)).toEqual({ scheme: "https", host: "proxied.example", url: "https://proxied.example" });
});
