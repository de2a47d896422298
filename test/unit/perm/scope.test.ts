import { describe, expect, test } from "bun:test";
import { quoteForMessage } from "../../../src/oci/quoteForMessage.ts";
import { formatScope, parseScopes, stripHostPrefix, type Scope } from "../../../src/perm/scope.ts";

const repo = (name: string, actions: Scope["actions"], requested = name): Scope =>
  ({ type: "repository", name, requested, actions }) as Scope;
const catalog: Scope = { type: "registry", name: "catalog", actions: ["*"] };

describe("parseScopes: accepted", () => {
  test.each<[string, string[], Scope[]]>([
    ["single pull", ["repository:ns/app:pull"], [repo("ns/app", ["pull"])]],
    ["pull,push", ["repository:ns/app:pull,push"], [repo("ns/app", ["pull", "push"])]],
    ["actions sorted canonically", ["repository:ns/app:*,delete,push,pull"], [repo("ns/app", ["pull", "push", "delete", "*"])]],
    ["single-component name", ["repository:ubuntu:pull"], [repo("ubuntu", ["pull"])]],
    ["deep name", ["repository:a/b/c/d:pull"], [repo("a/b/c/d", ["pull"])]],
    ["separators in name", ["repository:my-org/my_app.v2__x:pull"], [repo("my-org/my_app.v2__x", ["pull"])]],
    ["host:port prefix", ["repository:localhost:8080/ns/app:pull"], [repo("ns/app", ["pull"], "localhost:8080/ns/app")]],
    ["own host prefix (localhost)", ["repository:localhost/ns/app:push"], [repo("ns/app", ["push"], "localhost/ns/app")]],
    ["own dotted host prefix", ["repository:quay.example/ns/app:pull"], [repo("ns/app", ["pull"], "quay.example/ns/app")]],
    ["own host prefix in another case", ["repository:QUAY.example/ns/app:pull"], [repo("ns/app", ["pull"], "QUAY.example/ns/app")]],
    // Found by the property tests (format → parse): a dotted namespace was read as a host.
    ["dotted namespace is a name, not a host", ["repository:john.doe/app:pull"], [repo("john.doe/app", ["pull"])]],
    ["dotted namespace with a deeper path", ["repository:a.0/0:push"], [repo("a.0/0", ["push"])]],
    ["a namespace named localhost is a name", ["repository:localhost/app:pull"], [repo("localhost/app", ["pull"])]],
    ["upper-case host prefix", ["repository:Registry.Example.com:443/ns/app:pull"], [repo("ns/app", ["pull"], "Registry.Example.com:443/ns/app")]],
    ["dotted single component is a name, not a host", ["repository:my.app:pull"], [repo("my.app", ["pull"])]],
    ["lone localhost is a name", ["repository:localhost:pull"], [repo("localhost", ["pull"])]],
    ["plain first component kept", ["repository:ns/app/sub:pull"], [repo("ns/app/sub", ["pull"])]],
    [
      "two scopes in one value (cross-mount)",
      ["repository:a/b:pull repository:c/d:pull,push"],
      [repo("a/b", ["pull"]), repo("c/d", ["pull", "push"])],
    ],
    ["extra whitespace in one value", ["  repository:a/b:pull   repository:c/d:push "], [repo("a/b", ["pull"]), repo("c/d", ["push"])]],
    ["repeated values", ["repository:a/b:pull", "repository:c/d:push"], [repo("a/b", ["pull"]), repo("c/d", ["push"])]],
    ["duplicates merged", ["repository:a/b:push", "repository:a/b:pull"], [repo("a/b", ["pull", "push"])]],
    ["duplicates merged within one value", ["repository:a/b:pull repository:a/b:pull"], [repo("a/b", ["pull"])]],
    [
      "host-prefixed duplicate merged, first requested kept",
      ["repository:a/b:pull", "repository:localhost:5000/a/b:push,delete"],
      [repo("a/b", ["pull", "push", "delete"])],
    ],
    ["merge keeps first-appearance order", ["repository:z/z:pull", "repository:a/a:pull", "repository:z/z:*"], [repo("z/z", ["pull", "*"]), repo("a/a", ["pull"])]],
    ["empty values skipped", ["", "repository:a/b:pull", " "], [repo("a/b", ["pull"])]],
    ["no values", [], []],
    ["unknown actions dropped", ["repository:a/b:pull,frobnicate,PUSH"], [repo("a/b", ["pull"])]],
    ["only unknown actions leave none", ["repository:a/b:frobnicate"], [repo("a/b", [])]],
    ["empty action list", ["repository:a/b:"], [repo("a/b", [])]],
    ["catalog", ["registry:catalog:*"], [catalog]],
    ["catalog duplicate merged", ["registry:catalog:*", "registry:catalog:*"], [catalog]],
    ["catalog with other scopes", ["repository:a/b:pull registry:catalog:*"], [repo("a/b", ["pull"]), catalog]],
    ["registry catalog without * ignored", ["registry:catalog:pull"], []],
    ["other registry resource ignored", ["registry:other:*"], []],
    ["unknown type ignored", ["plugin:foo/bar:pull", "repository:a/b:pull"], [repo("a/b", ["pull"])]],
    ["unknown type with odd name ignored", ["thing:WHATEVER::x:pull"], []],
    ["resource class ignored", ["repository(plugin):ns/app:pull"], [repo("ns/app", ["pull"])]],
  ])("%s", (label, values, expected) => {
    const ownHosts = label.startsWith("own") ? ["localhost", "quay.example"] : [];
    expect(parseScopes(values, ownHosts)).toEqual({ ok: true, scopes: expected });
  });
});

describe("parseScopes: rejected", () => {
  test.each<[string, string]>([
    ["upper-case name", "repository:NS/App:pull"],
    ["upper-case single component", "repository:Ubuntu:pull"],
    ["dot-dot component", "repository:ns/../app:pull"],
    ["leading dot-dot", "repository:../app:pull"],
    ["dot-dot after host", "repository:localhost:5000/../app:pull"],
    ["double dot in component", "repository:ns/a..b:pull"],
    ["single dot component", "repository:./app:pull"],
    ["trailing slash", "repository:ns/app/:pull"],
    ["leading slash", "repository:/ns/app:pull"],
    ["double slash", "repository:ns//app:pull"],
    ["empty name", "repository::pull"],
    ["colon in path (extra colon)", "repository:ns/app:v1:pull"],
    ["colon in non-host first component", "repository:a:b/c:pull"],
    ["host with non-numeric port", "repository:localhost:abc/ns/app:pull"],
    ["host only, nothing after", "repository:localhost:8080/:pull"],
    ["upper-case after host", "repository:localhost:8080/NS/app:pull"],
    ["name too long", `repository:${"a".repeat(256)}:pull`],
    ["no colon", "repository"],
    ["one colon", "repository:ns/app"],
    ["empty type", ":ns/app:pull"],
    ["upper-case type", "REPOSITORY:ns/app:pull"],
    ["bad type characters", "repo$itory:ns/app:pull"],
    ["unclosed class", "repository(plugin:ns/app:pull"],
  ])("%s", (_label, value) => {
    const result = parseScopes(["repository:ok/first:pull", value]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(quoteForMessage(value));
  });

  test("message names the scope", () => {
    expect(parseScopes(["repository:Bad/Name:pull"])).toEqual({
      ok: false,
      message: 'invalid repository name in scope "repository:Bad/Name:pull"',
    });
  });

  test("a hostile scope is echoed truncated", () => {
    const result = parseScopes([`repository:${"A".repeat(5000)}:pull`]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeLessThan(200);
  });
});

describe("stripHostPrefix", () => {
  const own = ["localhost", "registry.example.com"];
  test.each<[string, string | undefined]>([
    ["ns/app", "ns/app"],
    ["app", "app"],
    ["localhost/ns/app", "ns/app"],
    ["localhost:5000/app", "app"],
    ["registry.example.com/ns/app", "ns/app"],
    ["Registry.Example.COM/ns/app", "ns/app"],
    ["127.0.0.1:5000/ns/app", "ns/app"],
    ["other.example.com/ns/app", "other.example.com/ns/app"],
    ["john.doe/app", "john.doe/app"],
    ["a:b/c", undefined],
    ["-bad.host:1/app", undefined],
    ["host.:1/app", undefined],
  ])("%s", (name, expected) => {
    expect(stripHostPrefix(name, own)).toBe(expected);
  });

  test("without own hosts only a host with a port is stripped", () => {
    expect(stripHostPrefix("localhost/ns/app")).toBe("localhost/ns/app");
    expect(stripHostPrefix("localhost:8080/ns/app")).toBe("ns/app");
  });
});

describe("formatScope", () => {
  test.each<[Scope, string]>([
    [repo("ns/app", ["pull", "push"]), "repository:ns/app:pull,push"],
    [repo("ns/app", ["pull"], "localhost:8080/ns/app"), "repository:ns/app:pull"],
    [repo("a", ["*"]), "repository:a:*"],
    [repo("a/b", []), "repository:a/b:"],
    [catalog, "registry:catalog:*"],
  ])("%j", (scope, expected) => {
    expect(formatScope(scope)).toBe(expected);
  });

  test("round-trips through parseScopes", () => {
    const parsed = parseScopes(["repository:ns/app:push,pull,delete"]);
    expect(parsed.ok && parsed.scopes.map(formatScope)).toEqual(["repository:ns/app:pull,push,delete"]);
  });
});
