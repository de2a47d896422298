// The bodies webhooks receive, field for field as Quay builds them.
import { describe, expect, test } from "bun:test";
import { quotaEventData, registryAddress, repoPushPayload, samplePayload } from "../../../src/notify/payloads";

const addr = { scheme: "https", host: "registry.example.com:8443" };

describe("repoPushPayload", () => {
  const table: [string, string, string[], Record<string, unknown>][] = [
    [
      "a two-part name",
      "acme/web",
      ["latest"],
      {
        repository: "acme/web",
        namespace: "acme",
        name: "web",
        docker_url: "registry.example.com:8443/acme/web",
        homepage: "https://registry.example.com:8443/repository/acme/web",
        updated_tags: ["latest"],
      },
    ],
    [
      "a nested name (namespace is the first segment only)",
      "acme/team/api",
      ["v1.2", "stable"],
      {
        repository: "acme/team/api",
        namespace: "acme",
        name: "team/api",
        docker_url: "registry.example.com:8443/acme/team/api",
        homepage: "https://registry.example.com:8443/repository/acme/team/api",
        updated_tags: ["v1.2", "stable"],
      },
    ],
  ];
  for (const [name, repo, tags, want] of table)
    test(name, () => {
      expect(repoPushPayload(addr, repo, tags)).toEqual(want);
    });
});

describe("registryAddress (from configuration only)", () => {
  const table: [string, { publicUrl?: string; host: string }, number, { scheme: string; host: string }][] = [
    ["the public URL wins", { publicUrl: "https://reg.example.com", host: "127.0.0.1" }, 8080, { scheme: "https", host: "reg.example.com" }],
    ["a public URL with port and path keeps only the origin", { publicUrl: "http://reg.example.com:5000/x/", host: "0.0.0.0" }, 8080, { scheme: "http", host: "reg.example.com:5000" }],
    ["else the listen address and the port listened on", { host: "10.1.1.1" }, 5000, { scheme: "http", host: "10.1.1.1:5000" }],
    ["a wildcard IPv4 listen address is localhost", { host: "0.0.0.0" }, 8080, { scheme: "http", host: "localhost:8080" }],
    ["so is the IPv6 wildcard", { host: "::" }, 8080, { scheme: "http", host: "localhost:8080" }],
    ["an IPv6 listen address in brackets", { host: "fd00::5" }, 8080, { scheme: "http", host: "[fd00::5]:8080" }],
  ];
  for (const [name, settings, port, want] of table)
    test(name, () => {
      expect(registryAddress(settings, port)).toEqual(want);
    });
});

describe("samplePayload (test notifications)", () => {
  test("repo_push: Quay's sample tags and pruned count", () => {
    expect(samplePayload("repo_push", addr, "acme/web")).toEqual({
      ...repoPushPayload(addr, "acme/web", ["latest", "foo"]),
      pruned_image_count: 3,
    });
  });

  test("build events point the homepage at the fake build", () => {
    const p = samplePayload("build_failure", addr, "acme/web");
    expect(p.homepage).toBe("https://registry.example.com:8443/repository/acme/web/build/fake-build-id");
    expect(p.build_id).toBe("fake-build-id");
    expect(p.error_message).toBe("This is a fake error message");
    expect(p.repository).toBe("acme/web");
  });

  test("vulnerability_found carries a vulnerability", () => {
    const p = samplePayload("vulnerability_found", addr, "acme/web");
    expect((p.vulnerability as any).id).toBe("CVE-FAKE-CVE");
    expect(p.tags).toContain("latest");
  });

  test("events without a Quay sample (mirroring, expiry) carry a test message", () => {
    for (const event of ["repo_mirror_sync_started", "repo_image_expiry"])
      expect(samplePayload(event, addr, "acme/web")).toEqual({
        repository: "acme/web",
        namespace: "acme",
        name: "web",
        docker_url: "registry.example.com:8443/acme/web",
        homepage: "https://registry.example.com:8443/repository/acme/web",
        message: "TEST NOTIFICATION",
      });
  });

  test("the quota events carry Quay's namespace sample (no repository fields)", () => {
    expect(samplePayload("quota_warning", addr, "acme/web")).toEqual({
      namespace: "acme",
      homepage: "https://registry.example.com:8443/organization/acme",
      threshold_percent: 80,
      usage_bytes: 858993459,
      limit_bytes: 1073741824,
      usage_percent: 80,
      usage_bytes_formatted: "819.20 MB",
      limit_bytes_formatted: "1.00 GB",
    });
    expect(samplePayload("quota_error", addr, "acme/deep/web")).toMatchObject({ namespace: "acme", threshold_percent: 100, usage_percent: 105 });
  });
});

describe("quota event data (Quay's _format_bytes and usage_percent)", () => {
  test.each<[number, number, number, Record<string, unknown>]>([
    [512, 1024, 80, { usage_percent: 50, usage_bytes_formatted: "512 bytes", limit_bytes_formatted: "1.00 KB" }],
    [858993459, 1073741824, 80, { usage_percent: 79, usage_bytes_formatted: "819.20 MB", limit_bytes_formatted: "1.00 GB" }],
    [5 * 1024 ** 4, 1024 ** 5, 1, { usage_percent: 0, usage_bytes_formatted: "5.00 TB", limit_bytes_formatted: "1024.00 TB" }],
    [10, 0, 100, { usage_percent: 0, usage_bytes_formatted: "10 bytes", limit_bytes_formatted: "0 bytes" }],
  ])("%p of %p", (usage, limit, threshold, want) => {
    expect(quotaEventData(usage, limit, threshold)).toEqual({ threshold_percent: threshold, usage_bytes: usage, limit_bytes: limit, ...want });
  });
});
