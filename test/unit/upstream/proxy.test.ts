// Which proxy an upstream connection goes through, and which proxy addresses are accepted, as tables.
import { expect, test } from "bun:test";
import { invalidProxyUrl, proxyFor, type UpstreamProxy } from "../../../src/upstream/proxy";

const both: UpstreamProxy = { http: "http://proxy.lan:3128", https: "http://secure.lan:3128", noProxy: "internal.lan, .corp.example,10.0.0.5" };

test.each<[string, string, UpstreamProxy | undefined, string | undefined]>([
  ["no proxies", "https://quay.io/v2/", undefined, undefined],
  ["https upstream: https_proxy", "https://quay.io/v2/", both, "http://secure.lan:3128/"],
  ["http upstream: http_proxy", "http://registry.lan:5000/v2/", both, "http://proxy.lan:3128/"],
  ["only http_proxy set: https goes direct", "https://quay.io/v2/", { http: "http://proxy.lan:3128" }, undefined],
  ["no_proxy: the host itself", "https://internal.lan/v2/", both, undefined],
  ["no_proxy: a subdomain of an entry", "https://r.internal.lan/v2/", both, undefined],
  ["no_proxy: a leading dot covers subdomains", "https://a.corp.example/v2/", both, undefined],
  ["no_proxy: an address", "http://10.0.0.5:5000/v2/", both, undefined],
  ["no_proxy: a name that merely ends alike is proxied", "https://notinternal.lan/v2/", both, "http://secure.lan:3128/"],
  ["no_proxy *: every host direct", "https://quay.io/v2/", { ...both, noProxy: "*" }, undefined],
  ["an empty value is no proxy", "https://quay.io/v2/", { https: "" }, undefined],
])("%s", (_name, target, proxy, expected) => {
  expect(proxyFor(new URL(target), proxy)?.href).toBe(expected);
});

test.each<[string, string, boolean]>([
  ["http URL with a port", "http://proxy.lan:3128", true],
  ["https URL with a login", "https://user:secret@proxy.lan", true],
  ["a path is refused", "http://proxy.lan/some/path", false],
  ["socks is not spoken", "socks5://proxy.lan:1080", false],
  ["not a URL", "proxy.lan:3128", false],
])("proxy address: %s", (_name, value, ok) => {
  expect(invalidProxyUrl(value) === undefined).toBe(ok);
});
