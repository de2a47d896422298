// Address classes over IPv4, IPv6 and the IPv6 forms that carry IPv4 addresses, and the per-class
// decision with its settings.
import { describe, expect, test } from "bun:test";
import { classifyAddress, type AddressClass } from "../../../src/addressClass";
import { DEFAULT_TARGET_POLICY, refusedAddresses, refusedClass, refusedHostname } from "../../../src/notify/webhookTarget";

describe("classifyAddress", () => {
  const table: [string, AddressClass | undefined][] = [
    // IPv4
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["169.254.169.254", "linkLocal"],
    ["169.254.0.1", "linkLocal"],
    ["10.0.0.5", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.20", "private"],
    ["100.64.0.1", "private"],
    ["100.127.255.254", "private"],
    ["100.128.0.1", "public"],
    ["198.18.0.1", "private"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["192.0.2.1", "reserved"],
    ["198.51.100.7", "reserved"],
    ["203.0.113.9", "reserved"],
    ["8.8.8.8", "public"],
    ["128.0.0.1", "public"],
    ["169.253.1.1", "public"],
    // IPv6
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "linkLocal"],
    ["fe80::1%eth0", "linkLocal"],
    ["febf::1", "linkLocal"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fec0::1", "private"],
    ["64:ff9b:1::a00:1", "private"],
    ["ff02::1", "multicast"],
    ["100::1", "reserved"],
    ["2001:db8::1", "reserved"],
    ["2606:4700::1111", "public"],
    ["2001:4860:4860::8888", "public"],
    // IPv4 inside IPv6: the class of the IPv4 address
    ["::ffff:127.0.0.1", "loopback"],
    ["[::ffff:7f00:1]", "loopback"],
    ["::ffff:0.0.0.0", "unspecified"],
    ["[::ffff:0:0]", "unspecified"],
    ["::ffff:169.254.169.254", "linkLocal"],
    ["::ffff:a00:5", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["::127.0.0.1", "loopback"],
    ["::7f00:1", "loopback"],
    ["::a9fe:a9fe", "linkLocal"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "linkLocal"],
    ["64:ff9b::808:808", "public"],
    ["2002:7f00:1::", "loopback"],
    ["2002:a9fe:a9fe::1", "linkLocal"],
    ["2002:808:808::1", "public"],
    // not addresses (names, or forms URL parsing would have normalised)
    ["localhost", undefined],
    ["example.com", undefined],
    ["2130706433", undefined],
    ["0x7f.1", undefined],
    ["127.1", undefined],
    ["017.0.0.1", undefined],
    ["256.0.0.1", undefined],
    ["1::2::3", undefined],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["::ffff:127.0.0.256", undefined],
    ["fe80::g", undefined],
  ];
  for (const [text, cls] of table)
    test(`${text} → ${cls ?? "not an address"}`, () => {
      expect(classifyAddress(text)).toBe(cls);
    });

  test("URL parsing turns decimal, octal and hex IPv4 into what is classified here", () => {
    for (const url of ["http://2130706433/", "http://0x7f.1/", "http://017700000001/", "http://127.1/", "http://[::ffff:127.0.0.1]/"])
      expect(classifyAddress(new URL(url).hostname)).toBe("loopback");
    expect(classifyAddress(new URL("http://[::ffff:0.0.0.0]/").hostname)).toBe("unspecified");
  });

  test("brackets, zone ids and surrounding blanks do not hide an address", () => {
    expect(classifyAddress("[::1]")).toBe("loopback");
    expect(classifyAddress(" 127.0.0.1 ")).toBe("loopback");
    expect(classifyAddress("fe80::1%eth0")).toBe("linkLocal");
    expect(classifyAddress("[::ffff:169.254.169.254]")).toBe("linkLocal");
    expect(classifyAddress("1:2:3:4:5:6:7:8")).toBe("public");
  });
});

describe("refusedClass", () => {
  const strict = DEFAULT_TARGET_POLICY;
  const open = { allowLoopback: true, allowLinkLocal: true, allowPrivate: true };
  const table: [AddressClass, boolean, boolean][] = [
    // class, refused by default, refused with every allowance on
    ["public", false, false],
    ["private", false, false],
    ["loopback", true, false],
    ["unspecified", true, false],
    ["linkLocal", true, false],
    ["multicast", true, true],
    ["broadcast", true, true],
    ["reserved", true, true],
  ];
  for (const [cls, byDefault, withAllowances] of table)
    test(`${cls}: refused by default ${byDefault}, with the allowances ${withAllowances}`, () => {
      expect(refusedClass(cls, strict) !== undefined).toBe(byDefault);
      expect(refusedClass(cls, open) !== undefined).toBe(withAllowances);
    });

  test("private ranges are refused when notificationAllowPrivate is off", () => {
    expect(refusedClass("private", { ...strict, allowPrivate: false })).toContain("notificationAllowPrivate");
  });
});

describe("refusedHostname and refusedAddresses", () => {
  test("localhost names are loopback without asking DNS", () => {
    for (const h of ["localhost", "LOCALHOST", "localhost.", "api.localhost"]) expect(refusedHostname(h, DEFAULT_TARGET_POLICY)).toContain("loopback");
    expect(refusedHostname("localhost.example.com", DEFAULT_TARGET_POLICY)).toBeUndefined();
  });

  test("one refused address among a name's answers refuses the name", () => {
    expect(refusedAddresses("ci.example", ["93.184.216.34", "10.0.0.7", "2606:4700::1111"], DEFAULT_TARGET_POLICY)).toBeUndefined();
    expect(refusedAddresses("ci.example", ["93.184.216.34", "::ffff:127.0.0.1"], DEFAULT_TARGET_POLICY)).toBe(
      "ci.example resolves to ::ffff:127.0.0.1, a loopback address: the registry's own host (notificationAllowLoopback is off)",
    );
    expect(refusedAddresses("ci.example", ["not-an-address"], DEFAULT_TARGET_POLICY)).toContain("not an IP address");
  });
});
