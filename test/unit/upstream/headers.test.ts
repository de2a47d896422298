// The pure parts of the upstream client: WWW-Authenticate challenges, Link pagination, external
// references and the address policy.
import { describe, expect, test } from "bun:test";
import { parseChallenges } from "../../../src/upstream/challenge";
import { nextLink } from "../../../src/upstream/linkHeader";
import { parseUpstreamReference } from "../../../src/upstream/reference";
import { DEFAULT_UPSTREAM_POLICY, refusedUpstreamAddresses, refusedUpstreamHost } from "../../../src/upstream/target";

describe("WWW-Authenticate challenges", () => {
  const cases: [string, unknown][] = [
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [{ scheme: "bearer", realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/alpine:pull" }],
    ],
    ['bearer realm="http://127.0.0.1:5000/v2/auth", service="berth"', [{ scheme: "bearer", realm: "http://127.0.0.1:5000/v2/auth", service: "berth", scope: undefined }]],
    ['Basic realm="Registry Realm"', [{ scheme: "basic", realm: "Registry Realm" }]],
    ["Basic", [{ scheme: "basic", realm: undefined }]],
    // Unquoted token values, and an escaped quote inside a quoted one.
    ['Bearer realm=https://r/token,service="a\\"b"', [{ scheme: "bearer", realm: "https://r/token", service: 'a"b', scope: undefined }]],
    // Two challenges in one header; an unknown scheme skipped.
    ['Negotiate abc, Basic realm="x", Bearer realm="https://t/",scope="s"', [{ scheme: "basic", realm: "x" }, { scheme: "bearer", realm: "https://t/", service: undefined, scope: "s" }]],
    // A Bearer challenge with no realm leaves nowhere to ask.
    ['Bearer service="x"', []],
    ["", []],
  ];
  test.each(cases)("%p", (header, want) => expect(parseChallenges(header)).toEqual(want as any));
});

describe("Link pagination", () => {
  const base = "https://r.example/v2/ns/a/tags/list?n=2";
  const cases: [string | null, string | undefined][] = [
    ['</v2/ns/a/tags/list?last=b&n=2>; rel="next"', "https://r.example/v2/ns/a/tags/list?last=b&n=2"],
    ["</v2/ns/a/tags/list?last=b&n=2>; rel=next", "https://r.example/v2/ns/a/tags/list?last=b&n=2"],
    ['<https://other.example/page2>; rel="next"', "https://other.example/page2"],
    ['</prev>; rel="prev", </next>; rel="next"', "https://r.example/next"],
    ['</x>; title="a,b"; rel="next"', "https://r.example/x"],
    ['</x>; rel="prev"', undefined],
    [null, undefined],
    ["garbage", undefined],
  ];
  test.each(cases)("%p", (header, want) => expect(nextLink(header, base)).toBe(want));
});

describe("external references", () => {
  const cases: [string, unknown][] = [
    ["quay.io/coreos/etcd", { host: "quay.io", repository: "coreos/etcd" }],
    ["127.0.0.1:5000/ns/name", { host: "127.0.0.1:5000", repository: "ns/name" }],
    ["localhost:5000/a", { host: "localhost:5000", repository: "a" }],
    ["docker.io/alpine", { host: "registry-1.docker.io", repository: "library/alpine" }],
    ["docker.io/grafana/grafana", { host: "registry-1.docker.io", repository: "grafana/grafana" }],
    ["coreos/etcd", { error: expect.stringContaining("not a registry host") }],
    ["alpine", { error: expect.any(String) }],
    ["quay.io/ns/name:latest", { error: expect.stringContaining("not a repository name") }],
    ["quay.io/ns/Name", { error: expect.any(String) }],
    ["quay.io/", { error: expect.any(String) }],
  ];
  test.each(cases)("%p", (text, want) => expect(parseUpstreamReference(text)).toEqual(want as any));
});

describe("where the mirror may connect", () => {
  const loopbackOk = { allowLoopback: true, allowLinkLocal: false };
  const cases: [string, typeof DEFAULT_UPSTREAM_POLICY, boolean][] = [
    ["127.0.0.1", DEFAULT_UPSTREAM_POLICY, false],
    ["localhost", DEFAULT_UPSTREAM_POLICY, false],
    ["[::1]", DEFAULT_UPSTREAM_POLICY, false],
    ["0.0.0.0", DEFAULT_UPSTREAM_POLICY, false],
    ["169.254.169.254", DEFAULT_UPSTREAM_POLICY, false],
    ["[::ffff:169.254.169.254]", loopbackOk, false],
    ["127.0.0.1", loopbackOk, true],
    ["10.1.2.3", DEFAULT_UPSTREAM_POLICY, true],
    ["quay.io", DEFAULT_UPSTREAM_POLICY, true],
    ["224.0.0.1", loopbackOk, false],
  ];
  test.each(cases)("%s with %p: allowed %p", (host, policy, allowed) => expect(refusedUpstreamHost(host, policy) === undefined).toBe(allowed));
  test("a name that resolves to loopback is refused", () => {
    expect(refusedUpstreamAddresses("evil.example", ["93.184.216.34", "127.0.0.1"], DEFAULT_UPSTREAM_POLICY)).toContain("127.0.0.1");
    expect(refusedUpstreamAddresses("ok.example", ["93.184.216.34"], DEFAULT_UPSTREAM_POLICY)).toBeUndefined();
  });
});
