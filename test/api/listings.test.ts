// tags/list, _catalog and referrers: order, pagination (n, last, Link), filters, library/ names.
// This file's server starts empty, so the catalog is exactly what these tests push.
import { beforeAll, describe, expect, test } from "bun:test";
import { serverForFile, type TestServer } from "../support/server";
import {
  asDescriptor,
  expectError,
  expectStatus,
  manifestDescriptor,
  MT,
  randomDigest,
  RegistryClient,
  utf8,
  type Image,
} from "../support/registryClient";

let server: TestServer;
let c: RegistryClient;
serverForFile((started) => {
  server = started;
  c = new RegistryClient(started.url);
});

/** Parses `<url>; rel="next"`; null without a Link header. */
function nextLink(res: Response): string | null {
  const link = res.headers.get("link");
  if (link === null) return null;
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
  expect(m).not.toBeNull();
  return m![1]!;
}

async function getJson<T>(path: string, status = 200): Promise<{ res: Response; body: T }> {
  const res = await c.fetch(path);
  const bytes = await expectStatus(res, status);
  return { res, body: JSON.parse(new TextDecoder().decode(bytes)) as T };
}

type TagList = { name: string; tags: string[] };

describe("tags/list", () => {
  const name = "tags/repo";
  // Pushed in a scrambled order; ASCII order puts digits, then uppercase, then "_", then lowercase.
  const tags = ["v2", "latest", "1.0", "V1", "_x", "a", "b", "1.10", "1.9", "zz", "A-b"];
  const sorted = [...tags].sort();

  beforeAll(async () => {
    const image = await c.pushImage(name, tags[0]);
    for (const t of tags.slice(1)) await c.pushManifest(name, t, image.bytes, MT.ociManifest);
  });

  test("lists every live tag in lexical (ASCII) order", async () => {
    const { res, body } = await getJson<TagList>(`/v2/${name}/tags/list`);
    expect(body).toEqual({ name, tags: sorted });
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.headers.get("link")).toBeNull();
  });

  test("n limits the page and a Link points at the next one; following Links yields every tag once", async () => {
    const { res, body } = await getJson<TagList>(`/v2/${name}/tags/list?n=3`);
    expect(body.tags).toEqual(sorted.slice(0, 3));
    expect(nextLink(res)).toBe(`/v2/${name}/tags/list?n=3&last=${encodeURIComponent(sorted[2]!)}`);

    const seen: string[] = [];
    let next: string | null = `/v2/${name}/tags/list?n=3`;
    let pages = 0;
    while (next !== null) {
      const page: { res: Response; body: TagList } = await getJson<TagList>(next);
      expect(page.body.name).toBe(name);
      expect(page.body.tags.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.tags);
      next = nextLink(page.res);
      pages++;
      expect(pages).toBeLessThan(10);
    }
    expect(seen).toEqual(sorted);
    expect(pages).toBe(Math.ceil(sorted.length / 3));
  });

  test("a page that ends exactly at the last tag has no Link", async () => {
    const { res, body } = await getJson<TagList>(`/v2/${name}/tags/list?n=${sorted.length}`);
    expect(body.tags).toEqual(sorted);
    expect(res.headers.get("link")).toBeNull();
    const more = await getJson<TagList>(`/v2/${name}/tags/list?n=1000`);
    expect(more.body.tags).toEqual(sorted);
    expect(more.res.headers.get("link")).toBeNull();
  });

  test("last starts after the given tag, with or without n; it need not exist", async () => {
    expect((await getJson<TagList>(`/v2/${name}/tags/list?last=a`)).body.tags).toEqual(sorted.filter((t) => t > "a"));
    expect((await getJson<TagList>(`/v2/${name}/tags/list?n=2&last=V1`)).body.tags).toEqual(sorted.filter((t) => t > "V1").slice(0, 2));
    expect((await getJson<TagList>(`/v2/${name}/tags/list?last=b0`)).body.tags).toEqual(sorted.filter((t) => t > "b0"));
    expect((await getJson<TagList>(`/v2/${name}/tags/list?last=zzz`)).body.tags).toEqual([]);
  });

  test("n=0 returns an empty list and no Link", async () => {
    const { res, body } = await getJson<TagList>(`/v2/${name}/tags/list?n=0`);
    expect(body).toEqual({ name, tags: [] });
    expect(res.headers.get("link")).toBeNull();
  });

  test("an invalid n is 400 PAGINATION_NUMBER_INVALID", async () => {
    for (const n of ["-1", "abc", "1.5", "1e2", "0x10"]) {
      await expectError(await c.fetch(`/v2/${name}/tags/list?n=${n}`), 400, "PAGINATION_NUMBER_INVALID");
    }
  });

  test("a deleted tag disappears; the others stay", async () => {
    const repo = "tags/deleting";
    const image = await c.pushImage(repo, "one");
    await c.pushManifest(repo, "two", image.bytes, MT.ociManifest);
    await expectStatus(await c.fetch(`/v2/${repo}/manifests/one`, { method: "DELETE" }), 202);
    expect((await getJson<TagList>(`/v2/${repo}/tags/list`)).body.tags).toEqual(["two"]);
  });

  test("a repository with content but no tags lists none", async () => {
    const repo = "tags/untagged";
    await c.pushImage(repo); // by digest only
    expect((await getJson<TagList>(`/v2/${repo}/tags/list`)).body).toEqual({ name: repo, tags: [] });
  });

  test("an unknown repository is 404 NAME_UNKNOWN", async () => {
    await expectError(await c.fetch(`/v2/tags/never-pushed/tags/list`), 404, "NAME_UNKNOWN");
  });
});

describe("single-component names", () => {
  test("live in library/: tags/list echoes the name asked for, the catalog shows library/", async () => {
    const image = await c.pushImage("alpine", "3.20");
    await c.pushManifest("alpine", "edge", image.bytes, MT.ociManifest);
    expect((await getJson<TagList>("/v2/alpine/tags/list")).body).toEqual({ name: "alpine", tags: ["3.20", "edge"] });
    expect((await getJson<TagList>("/v2/library/alpine/tags/list")).body).toEqual({ name: "library/alpine", tags: ["3.20", "edge"] });
    const page = await getJson<TagList>("/v2/alpine/tags/list?n=1");
    expect(nextLink(page.res)).toBe("/v2/alpine/tags/list?n=1&last=3.20");
    const catalog = (await getJson<{ repositories: string[] }>("/v2/_catalog")).body.repositories;
    expect(catalog).toContain("library/alpine");
    expect(catalog).not.toContain("alpine");
  });
});

describe("_catalog", () => {
  let all: string[];

  beforeAll(async () => {
    for (const name of ["cat/zeta", "cat/alpha", "cat/mid/deep", "cat/beta", "other-ns/x"]) {
      await c.pushBlob(name, utf8(name));
    }
    all = (await getJson<{ repositories: string[] }>("/v2/_catalog")).body.repositories;
  });

  test("lists every repository, sorted, by full name", async () => {
    for (const name of ["cat/zeta", "cat/alpha", "cat/mid/deep", "cat/beta", "other-ns/x", "tags/repo", "library/alpine"]) {
      expect(all).toContain(name);
    }
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
  });

  test("n and Link page through everything exactly once", async () => {
    const first = await getJson<{ repositories: string[] }>("/v2/_catalog?n=2");
    expect(first.body.repositories).toEqual(all.slice(0, 2));
    expect(nextLink(first.res)).toBe(`/v2/_catalog?n=2&last=${encodeURIComponent(all[1]!)}`);
    const seen: string[] = [];
    let next: string | null = "/v2/_catalog?n=2";
    while (next !== null) {
      const page: { res: Response; body: { repositories: string[] } } = await getJson(next);
      seen.push(...page.body.repositories);
      next = nextLink(page.res);
      expect(seen.length).toBeLessThanOrEqual(all.length);
    }
    expect(seen).toEqual(all);
  });

  test("last (a repository name with slashes) starts after it", async () => {
    const { body } = await getJson<{ repositories: string[] }>(`/v2/_catalog?last=${encodeURIComponent("cat/beta")}`);
    expect(body.repositories).toEqual(all.filter((r) => r > "cat/beta"));
    const two = await getJson<{ repositories: string[] }>("/v2/_catalog?n=2&last=cat/alpha");
    expect(two.body.repositories).toEqual(["cat/beta", "cat/mid/deep"]);
  });

  test("n=0 returns no repositories and no Link; n beyond the end returns all without Link", async () => {
    const zero = await getJson<{ repositories: string[] }>("/v2/_catalog?n=0");
    expect(zero.body).toEqual({ repositories: [] });
    expect(zero.res.headers.get("link")).toBeNull();
    const big = await getJson<{ repositories: string[] }>("/v2/_catalog?n=10000");
    expect(big.body.repositories).toEqual(all);
    expect(big.res.headers.get("link")).toBeNull();
  });

  test("an invalid n is 400 PAGINATION_NUMBER_INVALID", async () => {
    await expectError(await c.fetch("/v2/_catalog?n=-5"), 400, "PAGINATION_NUMBER_INVALID");
    await expectError(await c.fetch("/v2/_catalog?n=ten"), 400, "PAGINATION_NUMBER_INVALID");
  });

  test("HEAD answers like GET, without a body", async () => {
    const res = await c.fetch("/v2/_catalog", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(await res.text()).toBe("");
  });
});

type Index = { schemaVersion: number; mediaType: string; manifests: Array<Record<string, unknown>> };

describe("referrers", () => {
  const name = "refs/app";
  let subject: Image;
  let sbom: Image;
  let signature: Image;
  let attestations: { digest: string; bytes: Uint8Array };

  beforeAll(async () => {
    subject = await c.pushImage(name, "v1");
    const subjectDesc = manifestDescriptor(subject);
    // artifactType set explicitly, with annotations.
    sbom = await c.pushImage(name, undefined, {
      artifactType: "application/vnd.example.sbom.v1",
      subject: subjectDesc,
      layers: 1,
      annotations: { "org.opencontainers.image.created": "2024-01-01T00:00:00Z", "org.example.format": "json" },
    });
    // No artifactType: the config media type stands in for it.
    signature = await c.pushImage(name, undefined, { configMediaType: "application/vnd.example.signature.config.v1+json", subject: subjectDesc, layers: 1 });
    // An index referrer without artifactType: none is reported.
    const child = await c.pushImage(name);
    attestations = await c.pushManifest(name, "attestations", {
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [manifestDescriptor(child)],
      subject: subjectDesc,
      annotations: { "org.example.kind": "bundle" },
    });
  });

  test("lists every manifest whose subject is the digest, as an OCI index", async () => {
    const res = await c.fetch(`/v2/${name}/referrers/${subject.digest}`);
    const body = JSON.parse(new TextDecoder().decode(await expectStatus(res, 200))) as Index;
    expect(res.headers.get("content-type")).toBe(MT.ociIndex);
    expect(res.headers.get("oci-filters-applied")).toBeNull();
    expect(body.schemaVersion).toBe(2);
    expect(body.mediaType).toBe(MT.ociIndex);
    const byDigest = new Map(body.manifests.map((m) => [m.digest, m]));
    expect(byDigest.size).toBe(3);
    expect(byDigest.get(sbom.digest)).toEqual({
      mediaType: MT.ociManifest,
      digest: sbom.digest,
      size: sbom.size,
      artifactType: "application/vnd.example.sbom.v1",
      annotations: { "org.opencontainers.image.created": "2024-01-01T00:00:00Z", "org.example.format": "json" },
    });
    expect(byDigest.get(signature.digest)).toEqual({
      mediaType: MT.ociManifest,
      digest: signature.digest,
      size: signature.size,
      artifactType: "application/vnd.example.signature.config.v1+json",
    });
    expect(byDigest.get(attestations.digest)).toEqual({
      mediaType: MT.ociIndex,
      digest: attestations.digest,
      size: attestations.bytes.byteLength,
      annotations: { "org.example.kind": "bundle" },
    });
  });

  test("artifactType filters and says so in OCI-Filters-Applied", async () => {
    const res = await c.fetch(`/v2/${name}/referrers/${subject.digest}?artifactType=${encodeURIComponent("application/vnd.example.sbom.v1")}`);
    const body = JSON.parse(new TextDecoder().decode(await expectStatus(res, 200))) as Index;
    expect(res.headers.get("oci-filters-applied")).toBe("artifactType");
    expect(body.manifests.map((m) => m.digest)).toEqual([sbom.digest]);

    const byConfig = await getJson<Index>(`/v2/${name}/referrers/${subject.digest}?artifactType=${encodeURIComponent("application/vnd.example.signature.config.v1+json")}`);
    expect(byConfig.body.manifests.map((m) => m.digest)).toEqual([signature.digest]);

    const none = await getJson<Index>(`/v2/${name}/referrers/${subject.digest}?artifactType=application/vnd.nothing`);
    expect(none.body.manifests).toEqual([]);
    expect(none.res.headers.get("oci-filters-applied")).toBe("artifactType");
  });

  test("an empty artifactType parameter is no filter", async () => {
    const res = await c.fetch(`/v2/${name}/referrers/${subject.digest}?artifactType=`);
    const body = JSON.parse(new TextDecoder().decode(await expectStatus(res, 200))) as Index;
    expect(body.manifests).toHaveLength(3);
    expect(res.headers.get("oci-filters-applied")).toBeNull();
  });

  test("an unknown subject gets 200 and an empty index", async () => {
    const res = await c.fetch(`/v2/${name}/referrers/${randomDigest()}`);
    const body = JSON.parse(new TextDecoder().decode(await expectStatus(res, 200))) as Index;
    expect(res.headers.get("content-type")).toBe(MT.ociIndex);
    expect(body).toEqual({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] });
  });

  test("referrers pushed before their subject are listed", async () => {
    const later = await c.makeImage(name);
    const early = await c.pushImage(name, undefined, { artifactType: "application/vnd.example.early", subject: manifestDescriptor(later), layers: 0 });
    const { body } = await getJson<Index>(`/v2/${name}/referrers/${later.digest}`);
    expect(body.manifests.map((m) => m.digest)).toEqual([early.digest]);
  });

  test("only referrers in the same repository are listed", async () => {
    const other = "refs/other";
    await c.pushImage(other, undefined, { artifactType: "application/vnd.example.elsewhere", subject: manifestDescriptor(subject), layers: 0 });
    const { body } = await getJson<Index>(`/v2/${name}/referrers/${subject.digest}`);
    expect(body.manifests.map((m) => m.artifactType)).not.toContain("application/vnd.example.elsewhere");
    const there = await getJson<Index>(`/v2/${other}/referrers/${subject.digest}`);
    expect(there.body.manifests.map((m) => m.artifactType)).toEqual(["application/vnd.example.elsewhere"]);
  });

  test("a deleted referrer is no longer listed", async () => {
    const repo = "refs/deleting";
    const base = await c.pushImage(repo, "v1");
    const empty = await c.pushBlob(repo, utf8("{}"), MT.ociEmpty);
    const sig = await c.pushManifest(repo, "sig", {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      artifactType: "application/vnd.example.sig",
      config: asDescriptor(empty),
      layers: [],
      subject: manifestDescriptor(base),
    });
    expect((await getJson<Index>(`/v2/${repo}/referrers/${base.digest}`)).body.manifests).toHaveLength(1);
    await expectStatus(await c.fetch(`/v2/${repo}/manifests/${sig.digest}`, { method: "DELETE" }), 202);
    expect((await getJson<Index>(`/v2/${repo}/referrers/${base.digest}`)).body.manifests).toEqual([]);
  });

  test("a digest that is not one is 400", async () => {
    await expectError(await c.fetch(`/v2/${name}/referrers/latest`), 400, "DIGEST_INVALID");
    await expectError(await c.fetch(`/v2/${name}/referrers/sha256:abc`), 400, "DIGEST_INVALID");
    await expectError(await c.fetch(`/v2/${name}/referrers/sha384:${"a".repeat(96)}`), 400, "UNSUPPORTED");
  });

  test("works through the single-component alias", async () => {
    const base = await c.pushImage("refsolo", "v1");
    const sbomSolo = await c.pushImage("refsolo", undefined, { artifactType: "application/vnd.example.sbom.v1", subject: manifestDescriptor(base), layers: 0 });
    const { body } = await getJson<Index>(`/v2/library/refsolo/referrers/${base.digest}`);
    expect(body.manifests.map((m) => m.digest)).toEqual([sbomSolo.digest]);
  });
});
