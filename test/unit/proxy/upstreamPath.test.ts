// Where a cached repository lives upstream, from Quay's upstream_registry and the path pulled.
import { describe, expect, test } from "bun:test";
import { upstreamHostOf, upstreamRepository } from "../../../src/proxy/upstreamPath";

describe("upstreamRepository", () => {
  const cases: [registry: string, path: string, expected: { host: string; repository: string } | "error"][] = [
    ["quay.io/myorg", "app", { host: "quay.io", repository: "myorg/app" }],
    ["quay.io", "myorg/app", { host: "quay.io", repository: "myorg/app" }],
    ["docker.io", "alpine", { host: "registry-1.docker.io", repository: "library/alpine" }],
    ["docker.io", "bitnami/redis", { host: "registry-1.docker.io", repository: "bitnami/redis" }],
    ["docker.io/library", "alpine", { host: "registry-1.docker.io", repository: "library/alpine" }],
    ["registry.local:5000/", "a/b/c", { host: "registry.local:5000", repository: "a/b/c" }],
    ["127.0.0.1:5000", "app", { host: "127.0.0.1:5000", repository: "app" }],
    ["notahost", "app", "error"],
  ];
  for (const [registry, path, expected] of cases) {
    test(`${registry} + ${path}`, () => {
      const got = upstreamRepository(registry, path);
      if (expected === "error") expect("error" in got).toBe(true);
      else expect(got).toEqual(expected);
    });
  }
});

test("upstreamHostOf: the part before the first slash, lower-cased", () => {
  expect(upstreamHostOf("Quay.IO/myorg/sub")).toBe("quay.io");
  expect(upstreamHostOf("registry.local:5000")).toBe("registry.local:5000");
});
