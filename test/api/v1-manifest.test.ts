// API v1 manifests and labels (reference quay-api.md §2.7): the manifest view with Quay's layer
// list, and labels listed, added, read and deleted, with the guards, Quay's 400s and CSRF.
// /v2 runs in open mode, so images are pushed without tokens into repositories alice created.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { eventually } from "../support/eventually";
import { asDescriptor, digestOf, MT, randomBytes, RegistryClient, utf8, type Image } from "../support/registryClient";
import { expectCsrfError, expectJson, expectProblem, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1" } as const;
const EMPTY_LAYER = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";

const world = worldForFile({ users: PASSWORDS, sessions: ["alice", "bob"] });
let stores: Stores;
let registry: RegistryClient;
let alice: V1Client;
let bob: V1Client;
let anon: V1Client;
let repo: string;
let image: Image;
beforeAll(async () => {
  ({ stores, registry, anon } = world);
  [alice, bob] = [world.session("alice"), world.session("bob")];
  repo = await create();
  image = await registry.pushImage(repo, "v1", { labels: { maintainer: "team-web" } });
  // Push-time labels land just after the push answers.
  await eventually(async () => ((await stores.labels.list((await stores.manifests.getByDigest((await stores.repositories.find(repo))!.id, image.digest))!.id)).length ? true : undefined));
});

let counter = 0;
async function create(visibility: "public" | "private" = "private"): Promise<string> {
  const name = `m${++counter}-${crypto.randomUUID().slice(0, 6)}`;
  const body = await expectJson(await alice.post("/api/v1/repository", { repository: name, visibility, description: "" }), 201);
  return `${body.namespace}/${body.name}`;
}

const manifestPath = (r: string, digest: string) => `/api/v1/repository/${r}/manifest/${digest}`;
const labelsPath = (r: string, digest: string) => `${manifestPath(r, digest)}/labels`;

describe("GET manifest", () => {
  test("an OCI image: Quay's view, one layer per history entry, empty layers as the empty blob", async () => {
    const r = await create();
    const layers = [randomBytes(100), randomBytes(200)];
    for (const l of layers) await registry.pushBlob(r, l);
    const config = utf8(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [] },
        history: [
          { created: "2024-07-11T05:49:04.123456789Z", created_by: "/bin/sh -c #(nop) ADD file:abc in / ", author: "Fedora" },
          { created: "2024-08-22T06:17:30Z", created_by: "/bin/sh -c #(nop) WORKDIR /src", comment: "FROM base", empty_layer: true },
          { created: "2024-08-26T08:23:38Z", created_by: '["/bin/sh","-c","make"]' },
        ],
      }),
    );
    const configDesc = await registry.pushBlob(r, config, MT.ociConfig);
    const manifest = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: asDescriptor(configDesc),
      layers: layers.map((l) => ({ mediaType: MT.ociLayer, digest: digestOf(l), size: l.byteLength })),
    };
    const { digest, bytes } = await registry.pushManifest(r, "v1", manifest);
    const body = await expectJson(await alice.get(manifestPath(r, digest)), 200);
    expect(body).toEqual({
      digest,
      is_manifest_list: false,
      manifest_data: new TextDecoder().decode(bytes),
      config_media_type: MT.ociConfig,
      layers_compressed_size: 300,
      layers: [
        {
          index: 0,
          compressed_size: 100,
          is_remote: false,
          urls: null,
          command: ["/bin/sh -c #(nop) ADD file:abc in / "],
          comment: null,
          author: "Fedora",
          blob_digest: digestOf(layers[0]!),
          created_datetime: "Thu, 11 Jul 2024 05:49:04 -0000",
        },
        {
          index: 1,
          compressed_size: 32,
          is_remote: false,
          urls: null,
          command: ["/bin/sh -c #(nop) WORKDIR /src"],
          comment: "FROM base",
          author: null,
          blob_digest: EMPTY_LAYER,
          created_datetime: "Thu, 22 Aug 2024 06:17:30 -0000",
        },
        {
          index: 2,
          compressed_size: 200,
          is_remote: false,
          urls: null,
          command: ["/bin/sh", "-c", "make"],
          comment: null,
          author: null,
          blob_digest: digestOf(layers[1]!),
          created_datetime: "Mon, 26 Aug 2024 08:23:38 -0000",
        },
      ],
    });
  });

  test("a Docker image without history: one layer per blob", async () => {
    const r = await create();
    const img = await registry.pushImage(r, "v1", { format: "docker", layers: 2, layerSize: 500 });
    const body = await expectJson(await alice.get(manifestPath(r, img.digest)), 200);
    expect(body.config_media_type).toBe(MT.dockerConfig);
    expect(body.layers_compressed_size).toBe(1000);
    expect(body.layers.map((l: any) => [l.index, l.blob_digest, l.compressed_size, l.command])).toEqual([
      [0, img.layers[0]!.digest, 500, null],
      [1, img.layers[1]!.digest, 500, null],
    ]);
  });

  test("an index: a manifest list without layers", async () => {
    const r = await create();
    const child = await registry.pushImage(r);
    const index = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ mediaType: child.mediaType, digest: child.digest, size: child.size }] };
    const { digest } = await registry.pushManifest(r, "multi", index);
    const body = await expectJson(await alice.get(manifestPath(r, digest)), 200);
    expect(body).toMatchObject({ digest, is_manifest_list: true, config_media_type: null, layers_compressed_size: 0, layers: null });
  });

  // Issue 8 item 11: a config whose history holds a deeply nested command made every reader's
  // view a 500 (stack overflow); untrusted values are bounded instead.
  test("a hostile config (deeply nested commands, a huge history) gives a bounded 200, never a 500", async () => {
    const r = await create("public");
    const layer = randomBytes(64);
    await registry.pushBlob(r, layer);
    const deep = 200_000;
    const nestedString = "[".repeat(deep) + "]".repeat(deep);
    // Spelled out: JSON.stringify itself cannot write the nested array.
    const history = [
      JSON.stringify({ created_by: nestedString, empty_layer: true }),
      `{"created_by":${nestedString},"empty_layer":true}`,
      JSON.stringify({ created_by: '[["sh"],["-c"]]', empty_layer: true }),
      JSON.stringify({ created_by: "/bin/sh -c make" }),
    ];
    const config = utf8(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":[${history.join(",")}]}`);
    const configDesc = await registry.pushBlob(r, config, MT.ociConfig);
    const manifest = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: asDescriptor(configDesc),
      layers: [{ mediaType: MT.ociLayer, digest: digestOf(layer), size: layer.byteLength }],
    };
    const { digest } = await registry.pushManifest(r, "deep", manifest);
    for (const reader of [alice, anon]) {
      const body = await expectJson(await reader.get(manifestPath(r, digest)), 200);
      expect(body.layers.map((l: any) => l.command)).toEqual([
        [nestedString], // JSON nested beyond the bound is shown as the string it was
        null, // an array nested beyond the bound is no command
        [["sh"], ["-c"]], // shallow JSON is decoded, as Quay does
        ["/bin/sh -c make"],
      ]);
    }

    // 100 000 empty history entries: the view lists the filesystem layers instead of amplifying
    // a 2 MB config into a response of tens of megabytes.
    const huge = utf8(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [] },
        history: [...Array.from({ length: 100_000 }, () => ({ empty_layer: true })), { created_by: "x" }],
      }),
    );
    const hugeDesc = await registry.pushBlob(r, huge, MT.ociConfig);
    const { digest: hugeDigest } = await registry.pushManifest(r, "huge", { ...manifest, config: asDescriptor(hugeDesc) });
    const res = await alice.get(manifestPath(r, hugeDigest));
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.length).toBeLessThan(1_000_000);
    expect(JSON.parse(text).layers.map((l: any) => l.blob_digest)).toEqual([digestOf(layer)]);
  });

  test("unknown digests are 404; a reference that is no digest is no route, for anybody", async () => {
    await expectProblem(await alice.get(manifestPath(repo, `sha256:${"0".repeat(64)}`)), 404, "not_found");
    await expectProblem(await alice.get(manifestPath(repo, "v1")), 404, "not_found");
    await expectProblem(await anon.get(manifestPath(repo, "latest")), 404, "not_found");
    await expectProblem(await alice.get(`${labelsPath(repo, "sha256:xyz")}`), 404, "not_found");
  });

  test("401 anonymous, 403 without read; public repositories are readable by anybody", async () => {
    await expectProblem(await anon.get(manifestPath(repo, image.digest)), 401, "invalid_token");
    await expectProblem(await bob.get(manifestPath(repo, image.digest)), 403, "insufficient_scope");
    await expectProblem(await bob.get(labelsPath(repo, image.digest)), 403, "insufficient_scope");
    const pub = await create("public");
    const img = await registry.pushImage(pub, "v1");
    expect((await expectJson(await anon.get(manifestPath(pub, img.digest)), 200)).digest).toBe(img.digest);
  });
});

describe("labels", () => {
  test("the image's own labels are listed with source manifest", async () => {
    const body = await expectJson(await alice.get(labelsPath(repo, image.digest)), 200);
    expect(body.labels).toEqual([{ id: expect.any(String), key: "maintainer", value: "team-web", source_type: "manifest", media_type: "text/plain" }]);
  });

  test("add (201 with Location), list with a prefix filter, get, delete", async () => {
    const res = await alice.post(labelsPath(repo, image.digest), { key: "com.example.owner", value: "ops", media_type: "text/plain" });
    const added = await expectJson(res, 201);
    expect(added.label).toEqual({ id: expect.any(String), key: "com.example.owner", value: "ops", source_type: "api", media_type: "text/plain" });
    const location = res.headers.get("location")!;
    expect(location).toBe(`${labelsPath(repo, image.digest)}/${added.label.id}`);
    expect(await expectJson(await alice.get(location), 200)).toEqual(added.label);

    // A null media type is inferred from the value.
    const json = await expectJson(await alice.post(labelsPath(repo, image.digest), { key: "com.example.meta", value: '{"a":1}', media_type: null }), 201);
    expect(json.label.media_type).toBe("application/json");

    const filtered = await expectJson(await alice.get(`${labelsPath(repo, image.digest)}?filter=com.example.`), 200);
    expect(filtered.labels.map((l: any) => l.key)).toEqual(["com.example.owner", "com.example.meta"]);
    const all = await expectJson(await alice.get(labelsPath(repo, image.digest)), 200);
    expect(all.labels.map((l: any) => l.key)).toEqual(["maintainer", "com.example.owner", "com.example.meta"]);

    expect((await alice.delete(location)).status).toBe(204);
    await expectProblem(await alice.get(location), 404, "not_found");
    await expectProblem(await alice.delete(location), 404, "not_found");
  });

  test("labels from the image cannot be deleted", async () => {
    const [own] = (await expectJson(await alice.get(labelsPath(repo, image.digest)), 200)).labels;
    const res = await alice.delete(`${labelsPath(repo, image.digest)}/${own.id}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: "Cannot delete immutable label" });
  });

  test("reserved prefixes and malformed keys are refused with Quay's messages", async () => {
    // Flask-RESTful's shape: {"message": …} and nothing else.
    const refused = async (json: unknown) => {
      const body = await expectJson<{ message: string }>(await alice.post(labelsPath(repo, image.digest), json), 400);
      expect(Object.keys(body)).toEqual(["message"]);
      return body.message;
    };
    expect(await refused({ key: "io.quay.thing", value: "x", media_type: null })).toBe("Label has a reserved prefix");
    expect(await refused({ key: "Bad_Key", value: "x", media_type: null })).toStartWith("Label is of an invalid format or missing please use ^[a-z0-9]");
    expect(await refused({ key: "com.example.bad-json", value: "{nope", media_type: "application/json" })).toContain("not valid JSON");
    // Unknown manifests: the prefix is checked first, then the manifest.
    await expectProblem(await alice.post(labelsPath(repo, `sha256:${"1".repeat(64)}`), { key: "a", value: "x", media_type: null }), 404, "not_found");
  });

  test("a bad body is a 400 naming the field", async () => {
    const body = await expectProblem(await alice.post(labelsPath(repo, image.digest), { key: "a", value: "x", media_type: "text/html" }), 400, "invalid_request");
    expect(body.field).toBe("media_type");
    expect((await expectProblem(await alice.post(labelsPath(repo, image.digest), { key: "a", media_type: null }), 400, "invalid_request")).field).toBe("value");
  });

  test("adding and deleting need write; reading needs read", async () => {
    const path = labelsPath(repo, image.digest);
    await expectProblem(await anon.post(path, { key: "a", value: "x", media_type: null }), 401, "invalid_token");
    await expectJson(await alice.put(`/api/v1/repository/${repo}/permissions/user/bob`, { role: "read" }), 200);
    expect((await expectJson(await bob.get(path), 200)).labels.length).toBeGreaterThan(0);
    await expectProblem(await bob.post(path, { key: "a", value: "x", media_type: null }), 403, "insufficient_scope");
    const [own] = (await expectJson(await bob.get(path), 200)).labels;
    await expectProblem(await bob.delete(`${path}/${own.id}`), 403, "insufficient_scope");
  });

  test("CSRF: a cookie write without the token is refused", async () => {
    await expectCsrfError(await alice.post(labelsPath(repo, image.digest), { key: "a", value: "x", media_type: null }, { csrf: false }));
  });
});
