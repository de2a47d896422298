// skopeo against the compiled binary: OCI layouts built on disk are pushed and pulled back byte
// for byte, single images and two-platform indexes, inspected, listed, deleted, and copied
// between repositories (skopeo mounts blobs it knows are in the same registry).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { startBinary, tempDir, type BinaryServer } from "../support/server";
import {
  hashBody,
  layoutBlobs,
  layoutRef,
  MiB,
  OCI,
  OciLayoutWriter,
  run,
  sha256File,
  sha256Of,
  type LayoutDescriptor,
} from "../support/e2eHelpers";

let srv: BinaryServer;
const dirs: string[] = [];

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  // Request logging on: the cross-repository test reads which POSTs skopeo made.
  srv = await startBinary({ env: { BERTH_LOG_REQUESTS: "true" } });
  dirs.push(srv.dataDir);
});

afterAll(async () => {
  await srv?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const registry = () => `127.0.0.1:${srv.port}`;
const skopeo = (...args: string[]) => run(["skopeo", "--insecure-policy", ...args]);

/** Every blob of `src` is in `dst` with the same bytes, and `dst` holds nothing else. */
function expectSameBlobs(src: string, dst: string): void {
  const a = layoutBlobs(src);
  const b = layoutBlobs(dst);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [digest, info] of a) {
    const copy = b.get(digest)!;
    expect(info.actual).toBe(digest);
    expect(copy.actual).toBe(digest);
    expect(copy.size).toBe(info.size);
    expect(Buffer.compare(readFileSync(info.path), readFileSync(copy.path))).toBe(0);
  }
}

async function getBlobDigest(repo: string, digest: string): Promise<{ status: number; digest?: string; size?: number }> {
  const res = await fetch(`${srv.url}/v2/${repo}/blobs/${digest}`);
  if (res.status !== 200) {
    await res.arrayBuffer();
    return { status: res.status };
  }
  return { status: 200, ...(await hashBody(res)) };
}

describe("skopeo: one image", () => {
  let src: string;
  let image: { manifest: LayoutDescriptor; config: LayoutDescriptor; layers: LayoutDescriptor[] };

  beforeAll(async () => {
    src = dir("berth-oci-src-");
    const layout = new OciLayoutWriter(src);
    image = layout.addImage({ architecture: "amd64", layers: 3, layerSize: 3 * MiB });
    layout.tag("v1", image.manifest);
    await skopeo("copy", "--dest-tls-verify=false", "--preserve-digests", `oci:${src}:v1`, `docker://${registry()}/ns/app:v1`);
  });

  test("the pushed manifest is served byte for byte under its tag and digest", async () => {
    const manifestBytes = readFileSync(join(src, "blobs", "sha256", image.manifest.digest.slice(7)));
    for (const ref of ["v1", image.manifest.digest]) {
      const res = await fetch(`${srv.url}/v2/ns/app/manifests/${ref}`, { headers: { Accept: OCI.manifest } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(OCI.manifest);
      expect(res.headers.get("docker-content-digest")).toBe(image.manifest.digest);
      expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), manifestBytes)).toBe(0);
    }
    for (const d of [image.config, ...image.layers]) {
      expect(await getBlobDigest("ns/app", d.digest)).toEqual({ status: 200, digest: d.digest, size: d.size });
    }
  });

  test("pulled back into a new layout, every blob is byte-equal", async () => {
    const dst = dir("berth-oci-dst-");
    await skopeo("copy", "--src-tls-verify=false", "--preserve-digests", `docker://${registry()}/ns/app:v1`, `oci:${dst}:v1`);
    expect(layoutRef(dst, "v1")?.digest).toBe(image.manifest.digest);
    expectSameBlobs(src, dst);
    // And it is a usable image: umoci unpacks it (checking layer digests and diff_ids).
    const bundle = join(dir("berth-bundle-"), "b");
    await run(["umoci", "unpack", "--rootless", "--image", `${dst}:v1`, bundle]);
    for (let i = 0; i < image.layers.length; i++) {
      expect(statSync(join(bundle, "rootfs", `layer${i}`, "data-amd64.bin")).size).toBe(3 * MiB + i * 4099);
    }
  });

  test("skopeo inspect reports the digest, layers and platform; --raw and --config give the exact bytes", async () => {
    const out = JSON.parse((await skopeo("inspect", "--tls-verify=false", `docker://${registry()}/ns/app:v1`)).stdout);
    expect(out.Digest).toBe(image.manifest.digest);
    expect(out.Layers).toEqual(image.layers.map((l) => l.digest));
    expect(out.Architecture).toBe("amd64");
    expect(out.Os).toBe("linux");
    expect(out.Name).toBe(`${registry()}/ns/app`);
    const raw = (await skopeo("inspect", "--raw", "--tls-verify=false", `docker://${registry()}/ns/app:v1`)).stdout;
    expect(raw).toBe(readFileSync(join(src, "blobs", "sha256", image.manifest.digest.slice(7)), "utf8"));
    const config = (await skopeo("inspect", "--config", "--raw", "--tls-verify=false", `docker://${registry()}/ns/app:v1`)).stdout;
    expect(config).toBe(readFileSync(join(src, "blobs", "sha256", image.config.digest.slice(7)), "utf8"));
  });

  test("skopeo list-tags lists every tag", async () => {
    await skopeo("copy", "--dest-tls-verify=false", "--preserve-digests", `oci:${src}:v1`, `docker://${registry()}/ns/app:v2`);
    const out = JSON.parse((await skopeo("list-tags", "--tls-verify=false", `docker://${registry()}/ns/app`)).stdout);
    expect(out.Repository).toBe(`${registry()}/ns/app`);
    expect(out.Tags).toEqual(["v1", "v2"]);
  });

  test("skopeo delete removes the manifest by digest: it and its tags answer 404", async () => {
    await skopeo("delete", "--tls-verify=false", `docker://${registry()}/ns/app:v1`);
    for (const ref of [image.manifest.digest, "v1", "v2"]) {
      const res = await fetch(`${srv.url}/v2/ns/app/manifests/${ref}`, { headers: { Accept: OCI.manifest } });
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).errors[0].code).toBe("MANIFEST_UNKNOWN");
    }
    const tags = await (await fetch(`${srv.url}/v2/ns/app/tags/list`)).json();
    expect(tags).toEqual({ name: "ns/app", tags: [] });
    const again = await skopeo("inspect", "--tls-verify=false", `docker://${registry()}/ns/app:v1`).catch((e) => e);
    expect(again).toBeInstanceOf(Error);
  });
});

describe("skopeo: Docker schema 2", () => {
  test("--format v2s2 converts on push; Berth serves the Docker manifest and the same layer bytes", async () => {
    const src = dir("berth-oci-v2s2-");
    const layout = new OciLayoutWriter(src);
    const image = layout.addImage({ layers: 3, layerSize: MiB });
    layout.tag("v1", image.manifest);
    await skopeo("copy", "--dest-tls-verify=false", "--format", "v2s2", `oci:${src}:v1`, `docker://${registry()}/ns/docker:v1`);
    const docker = "application/vnd.docker.distribution.manifest.v2+json";
    const res = await fetch(`${srv.url}/v2/ns/docker/manifests/v1`, { headers: { Accept: docker } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(docker);
    const body = await res.text();
    const m = JSON.parse(body);
    expect(res.headers.get("docker-content-digest")).toBe(sha256Of(body));
    expect(m.mediaType).toBe(docker);
    expect(m.config.mediaType).toBe("application/vnd.docker.container.image.v1+json");
    expect(m.layers.map((l: any) => l.digest)).toEqual(image.layers.map((l) => l.digest));
    for (const l of m.layers) expect(l.mediaType).toBe("application/vnd.docker.image.rootfs.diff.tar.gzip");
    // Pulled back to a dir: layout, the layers are the bytes that went in.
    const dst = dir("berth-dir-v2s2-");
    await skopeo("copy", "--src-tls-verify=false", `docker://${registry()}/ns/docker:v1`, `dir:${dst}`);
    for (const l of image.layers) {
      expect(sha256File(join(dst, l.digest.slice(7)))).toBe(l.digest);
    }
    expect(readFileSync(join(dst, "manifest.json"), "utf8")).toBe(body);
  });
});

describe("skopeo: a two-platform index", () => {
  let src: string;
  let index: LayoutDescriptor;
  let children: LayoutDescriptor[];
  let amd: ReturnType<OciLayoutWriter["addImage"]>;
  let arm: ReturnType<OciLayoutWriter["addImage"]>;

  beforeAll(() => {
    src = dir("berth-oci-multi-");
    const layout = new OciLayoutWriter(src);
    amd = layout.addImage({ architecture: "amd64", layers: 3, layerSize: MiB });
    arm = layout.addImage({ architecture: "arm64", layers: 3, layerSize: MiB });
    children = [
      { ...amd.manifest, platform: { architecture: "amd64", os: "linux" } },
      { ...arm.manifest, platform: { architecture: "arm64", os: "linux" } },
    ];
    index = layout.addIndex(children);
    layout.tag("multi", index);
  });

  test("copy --all pushes the index and both images; GET by tag answers the index media type", async () => {
    await skopeo("copy", "--all", "--dest-tls-verify=false", "--preserve-digests", `oci:${src}:multi`, `docker://${registry()}/ns/multi:v1`);
    const res = await fetch(`${srv.url}/v2/ns/multi/manifests/v1`, { headers: { Accept: `${OCI.index}, ${OCI.manifest}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(OCI.index);
    expect(res.headers.get("docker-content-digest")).toBe(index.digest);
    const body = Buffer.from(await res.arrayBuffer());
    expect(Buffer.compare(body, readFileSync(join(src, "blobs", "sha256", index.digest.slice(7))))).toBe(0);
    for (const child of children) {
      const head = await fetch(`${srv.url}/v2/ns/multi/manifests/${child.digest}`, { method: "HEAD", headers: { Accept: OCI.manifest } });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toBe(OCI.manifest);
      expect(head.headers.get("content-length")).toBe(String(child.size));
    }
  });

  test("copy --all pulls both platforms back byte-equal", async () => {
    const dst = dir("berth-oci-multi-dst-");
    await skopeo("copy", "--all", "--src-tls-verify=false", "--preserve-digests", `docker://${registry()}/ns/multi:v1`, `oci:${dst}:v1`);
    expect(layoutRef(dst, "v1")?.digest).toBe(index.digest);
    expect(layoutRef(dst, "v1")?.mediaType).toBe(OCI.index);
    expectSameBlobs(src, dst);
  });

  test("skopeo inspect resolves the index to the platform asked for", async () => {
    for (const [arch, image] of [["amd64", amd], ["arm64", arm]] as const) {
      const out = JSON.parse(
        (await skopeo("--override-arch", arch, "--override-os", "linux", "inspect", "--tls-verify=false", `docker://${registry()}/ns/multi:v1`)).stdout,
      );
      // Digest is the one the tag names (the index); the rest comes from the platform's image.
      expect(out.Digest).toBe(index.digest);
      expect(out.Architecture).toBe(arch);
      expect(out.Layers).toEqual(image.layers.map((l) => l.digest));
    }
  });
});

describe("skopeo: between repositories of the registry", () => {
  let image: { manifest: LayoutDescriptor; config: LayoutDescriptor; layers: LayoutDescriptor[] };

  beforeAll(async () => {
    const src = dir("berth-oci-mount-");
    const layout = new OciLayoutWriter(src);
    image = layout.addImage({ layers: 3, layerSize: 2 * MiB });
    layout.tag("v1", image.manifest);
    await skopeo("copy", "--dest-tls-verify=false", "--preserve-digests", `oci:${src}:v1`, `docker://${registry()}/ns/repo-a:v1`);
  });

  test("skopeo copy A → B: B serves the manifest and every blob, mounted from A", async () => {
    await skopeo(
      "copy",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      "--preserve-digests",
      `docker://${registry()}/ns/repo-a:v1`,
      `docker://${registry()}/ns/repo-b:v1`,
    );
    const res = await fetch(`${srv.url}/v2/ns/repo-b/manifests/v1`, { headers: { Accept: OCI.manifest } });
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(image.manifest.digest);
    await res.arrayBuffer();
    for (const d of [image.config, ...image.layers]) {
      expect(await getBlobDigest("ns/repo-b", d.digest)).toEqual({ status: 200, digest: d.digest, size: d.size });
    }
    // skopeo knows (its blob info cache) the layers are in repo-a of this registry and asks to
    // mount them; Berth answers 201, so no layer bytes were uploaded to repo-b.
    await Bun.sleep(150); // the request log is flushed in batches
    const log = srv.output().split("\n");
    const mounted = log.filter((l) => /POST \/v2\/ns\/repo-b\/blobs\/uploads\/\?\S*mount=/.test(l) && / 201 /.test(l));
    for (const layer of image.layers) {
      expect(mounted.some((l) => l.includes(encodeURIComponent(layer.digest)))).toBe(true);
    }
    // The only bytes uploaded to repo-b: the config, which skopeo reads anyway.
    const completed = log.filter((l) => /PUT \/v2\/ns\/repo-b\/blobs\/uploads\/\S+\?digest=/.test(l));
    expect(completed.length).toBeLessThanOrEqual(1);
    for (const l of completed) expect(l).toContain(encodeURIComponent(image.config.digest));
  });

  test("a direct mount POST answers 201 and the target then serves the blob", async () => {
    const layer = image.layers[1]!;
    const res = await fetch(`${srv.url}/v2/ns/repo-c/blobs/uploads/?mount=${layer.digest}&from=ns/repo-a`, {
      method: "POST",
      headers: { "Content-Length": "0" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("docker-content-digest")).toBe(layer.digest);
    expect(res.headers.get("location")).toBe(`${srv.url}/v2/ns/repo-c/blobs/${layer.digest}`);
    expect(await getBlobDigest("ns/repo-c", layer.digest)).toEqual({ status: 200, digest: layer.digest, size: layer.size });
    // Only what was mounted: the other layers are not in repo-c.
    expect((await getBlobDigest("ns/repo-c", image.layers[0]!.digest)).status).toBe(404);
  });

  test("a mount from a repository without the blob falls back to an upload session (202)", async () => {
    const layer = image.layers[0]!;
    const res = await fetch(`${srv.url}/v2/ns/repo-d/blobs/uploads/?mount=${layer.digest}&from=ns/no-such-repo`, {
      method: "POST",
      headers: { "Content-Length": "0" },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toStartWith(`${srv.url}/v2/ns/repo-d/blobs/uploads/`);
    expect((await getBlobDigest("ns/repo-d", layer.digest)).status).toBe(404);
  });
});
