import { describe, expect, test } from "bun:test";
import { defaultTlsHosts, referenceHost, subjectAltNames, uniqueHosts } from "../../../src/tls/hosts";
import { httpsLocation } from "../../../src/tls/redirect";

const iface = (address: string, family = address.includes(":") ? "IPv6" : "IPv4", internal = false) => ({ address, family, internal });

describe("defaultTlsHosts: the machine's name, localhost and its addresses", () => {
  const cases: [string, Parameters<typeof defaultTlsHosts>, string[]][] = [
    ["loopback only", ["box", { lo: [iface("127.0.0.1", "IPv4", true), iface("::1", "IPv6", true)] }], ["box", "localhost", "127.0.0.1", "::1"]],
    [
      "LAN addresses, link-local IPv6 left out",
      ["box", { eth0: [iface("192.168.1.20"), iface("fe80::1c2:3ff:fe04:506"), iface("fd00::20")] }],
      ["box", "localhost", "127.0.0.1", "::1", "192.168.1.20", "fd00::20"],
    ],
    ["the public URL's host first", ["box", {}, "https://Registry.Example.com:8443/"], ["registry.example.com", "box", "localhost", "127.0.0.1", "::1"]],
    ["an IPv6 public URL", ["box", {}, "https://[fd00::9]/"], ["fd00::9", "box", "localhost", "127.0.0.1", "::1"]],
    ["a host name that is localhost is named once", ["localhost", {}], ["localhost", "127.0.0.1", "::1"]],
    ["no host name", ["", { eth0: [iface("10.1.2.3")] }], ["localhost", "127.0.0.1", "::1", "10.1.2.3"]],
  ];
  for (const [name, args, want] of cases) test(name, () => expect(defaultTlsHosts(...args)).toEqual(want));
});

test("uniqueHosts: names case-insensitively, addresses in canonical form", () => {
  expect(uniqueHosts(["Reg.LAN", "reg.lan", "FD00:0::1", "fd00::1", "::ffff:10.0.0.1", "10.0.0.1"])).toEqual(["reg.lan", "fd00::1", "10.0.0.1"]);
});

test("subjectAltNames: addresses become IP entries, the rest DNS names", () => {
  expect(subjectAltNames(["reg.lan", "*.lab.lan", "10.0.0.1", "fd00::1"])).toEqual([
    { type: "dns", value: "reg.lan" },
    { type: "dns", value: "*.lab.lan" },
    { type: "ip", value: "10.0.0.1" },
    { type: "ip", value: "fd00::1" },
  ]);
});

describe("referenceHost: host:port as image references and certs.d spell it", () => {
  const cases: [string, number, string][] = [
    ["localhost", 8443, "localhost:8443"],
    ["reg.lan", 443, "reg.lan"],
    ["::1", 8443, "[::1]:8443"],
    ["fd00:0::1", 443, "[fd00::1]"],
    ["10.0.0.1", 5000, "10.0.0.1:5000"],
  ];
  for (const [host, port, want] of cases) test(`${host} ${port}`, () => expect(referenceHost(host, port)).toBe(want));
});

describe("httpsLocation: the same path over HTTPS", () => {
  const cases: [string, Parameters<typeof httpsLocation>, string][] = [
    ["the host asked for, on the TLS port", ["/v2/x/manifests/1?n=2", "reg.lan:8080", 8443], "https://reg.lan:8443/v2/x/manifests/1?n=2"],
    ["no port for 443", ["/v2/", "reg.lan:80", 443], "https://reg.lan/v2/"],
    ["a host without a port", ["/", "reg.lan", 8443], "https://reg.lan:8443/"],
    ["an IPv6 host", ["/v2/", "[fd00::1]:8080", 8443], "https://[fd00::1]:8443/v2/"],
    ["no usable host: localhost", ["/v2/", undefined, 8443], "https://localhost:8443/v2/"],
    ["an https public URL wins", ["/v2/", "evil.example:8080", 8443, "https://reg.example.com/"], "https://reg.example.com/v2/"],
    ["an http public URL does not", ["/v2/", "reg.lan:8080", 8443, "http://reg.example.com/"], "https://reg.lan:8443/v2/"],
  ];
  for (const [name, args, want] of cases) test(name, () => expect(httpsLocation(...args)).toBe(want));
});
