import { describe, expect, test } from "bun:test";
import { resolveClientAddress, TrustedProxies } from "../../../src/auth/clientAddress.ts";
import { canonicalIp, inRange, parseIp, parseIpRange } from "../../../src/ipAddress.ts";

describe("canonicalIp", () => {
  test.each<[string, string | undefined]>([
    ["127.0.0.1", "127.0.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["256.0.0.1", undefined],
    ["010.0.0.1", undefined], // octal or decimal? refused
    ["1.2.3", undefined],
    ["1.2.3.4.5", undefined],
    ["::1", "::1"],
    ["::", "::"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // the first of equal runs
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group stays
    ["fe80::1%eth0", "fe80::1"],
    ["::ffff:10.1.2.3", "10.1.2.3"], // IPv4-mapped: unmapped
    ["::ffff:a01:203", "10.1.2.3"],
    ["::FFFF:127.0.0.1", "127.0.0.1"],
    ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1::2::3", undefined],
    ["12345::1", undefined],
    ["::g", undefined],
    ["", undefined],
    ["unknown", undefined],
    [" 10.0.0.1", undefined],
  ])("%j → %j", (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical as string);
  });
});

describe("parseIpRange and inRange", () => {
  test.each<[string, string, boolean]>([
    ["10.0.0.0/8", "10.200.3.4", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["10.0.0.1", "10.0.0.1", true],
    ["10.0.0.1", "10.0.0.2", false],
    ["192.168.0.0/23", "192.168.1.255", true],
    ["192.168.0.0/23", "192.168.2.0", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["0.0.0.0/0", "::1", false], // families never mix
    ["10.0.0.0/8", "::ffff:10.9.9.9", true], // a mapped peer matches an IPv4 range
    ["::ffff:10.0.0.0/104", "10.9.9.9", true], // a mapped range is the IPv4 range
    ["::ffff:10.0.0.0/104", "11.0.0.1", false],
    ["::ffff:127.0.0.1", "127.0.0.1", true],
    ["fd00::/8", "fd12:3456::1", true],
    ["fd00::/8", "fe80::1", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["::1", "::1", true],
    ["::1/128", "::2", false],
  ])("%s contains %s: %p", (range, ip, inside) => {
    expect(inRange(parseIp(ip)!, parseIpRange(range)!)).toBe(inside);
  });

  test.each(["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "::ffff:10.0.0.0/95", "example.com", "10.0.0.0/8/8", ""])(
    "%j is refused",
    (text) => {
      expect(parseIpRange(text)).toBeUndefined();
    },
  );
});

describe("resolveClientAddress", () => {
  const none = new TrustedProxies([]);
  const lb = new TrustedProxies(["10.0.0.0/8", "fd00::/8"]);
  test.each<[string, string | undefined, string | null, TrustedProxies, string]>([
    ["no proxies: the peer, header ignored", "203.0.113.9", "1.1.1.1", none, "203.0.113.9"],
    ["no proxies: a mapped peer is unmapped", "::ffff:203.0.113.9", "1.1.1.1", none, "203.0.113.9"],
    ["untrusted peer: header ignored", "203.0.113.9", "1.1.1.1", lb, "203.0.113.9"],
    ["trusted peer: the address it saw", "10.0.0.2", "198.51.100.7", lb, "198.51.100.7"],
    ["trusted mapped peer", "::ffff:10.0.0.2", "198.51.100.7", lb, "198.51.100.7"],
    ["trusted peer without header: the peer", "10.0.0.2", null, lb, "10.0.0.2"],
    ["the client's own entries are not believed", "10.0.0.2", "6.6.6.6, 198.51.100.7", lb, "198.51.100.7"],
    ["trusted hops are skipped", "10.0.0.2", "6.6.6.6, 198.51.100.7, 10.1.1.1, 10.2.2.2", lb, "198.51.100.7"],
    ["every hop trusted: the leftmost", "10.0.0.2", "10.3.3.3, 10.1.1.1", lb, "10.3.3.3"],
    ["garbage ends the walk at the last trusted hop", "10.0.0.2", "198.51.100.7, evil, 10.1.1.1", lb, "10.1.1.1"],
    ["garbage right at the peer: the peer", "10.0.0.2", "198.51.100.7, unknown", lb, "10.0.0.2"],
    ["IPv6 client, canonicalised", "fd00::5", "2001:DB8::0:1", lb, "2001:db8::1"],
    ["bracketed IPv6 with port", "10.0.0.2", "[2001:db8::7]:4711", lb, "2001:db8::7"],
    ["IPv4 with port", "10.0.0.2", "198.51.100.7:4711", lb, "198.51.100.7"],
    ["mapped entry in the header", "10.0.0.2", "::ffff:198.51.100.7", lb, "198.51.100.7"],
    ["spaces and empty elements", "10.0.0.2", "  198.51.100.7  ", lb, "198.51.100.7"],
    ["no peer", undefined, "1.1.1.1", lb, "unknown"],
  ])("%s", (_name, peer, header, proxies, client) => {
    expect(resolveClientAddress(peer, header, proxies)).toBe(client);
  });

  test("a forged chain of trusted-looking hops is walked only so far", () => {
    const header = Array.from({ length: 10_000 }, () => "10.9.9.9").join(",");
    expect(resolveClientAddress("10.0.0.2", `198.51.100.7,${header}`, lb)).toBe("10.9.9.9");
  });

  test("a bad entry in the list is refused when the list is built", () => {
    expect(() => new TrustedProxies(["10.0.0.0/8", "proxy.local"])).toThrow(/proxy.local/);
  });
});
