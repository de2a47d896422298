// The bodies webhooks receive, field for field as Quay builds them.
import { describe, expect, test } from "bun:test";
import { registryAddress, repoPushPayload, samplePayload } from "../../../src/notify/payloads";

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

describe("registryAddress", () => {
  const req = (headers: Record<string, string>, url = "http://10.1.1.1:8080/v2/a/b/manifests/x") => new Request(url, { headers });
  const table: [string, string | undefined, Request, { scheme: string; host: string }][] = [
    ["the public URL wins", "https://reg.example.com", req({ host: "127.0.0.1:8080" }), { scheme: "https", host: "reg.example.com" }],
    ["a public URL with port and path keeps only the origin", "http://reg.example.com:5000/x/", req({}), { scheme: "http", host: "reg.example.com:5000" }],
    ["else the Host the client used", undefined, req({ host: "laptop:8080" }), { scheme: "http", host: "laptop:8080" }],
    ["and X-Forwarded-Proto behind a proxy", undefined, req({ host: "reg.local", "x-forwarded-proto": "https" }), { scheme: "https", host: "reg.local" }],
  ];
  for (const [name, publicUrl, request, want] of table)
    test(name, () => {
      expect(registryAddress(publicUrl, request)).toEqual(want);
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

  test("events without a Quay sample (mirroring, expiry, quota) carry a test message", () => {
    for (const event of ["repo_mirror_sync_started", "repo_image_expiry", "quota_warning"])
      expect(samplePayload(event, addr, "acme/web")).toEqual({
        repository: "acme/web",
        namespace: "acme",
        name: "web",
        docker_url: "registry.example.com:8443/acme/web",
        homepage: "https://registry.example.com:8443/repository/acme/web",
        message: "TEST NOTIFICATION",
      });
  });
});
