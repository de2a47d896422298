// `berth export` and `berth import` with the compiled binary and real tools: skopeo pushes a
// two-platform index (and a referrer is pushed beside it), the export is read by
// `skopeo copy oci-archive:` and `podman load`, imported into a fresh data directory while its
// server runs and pulled back byte for byte; a `docker-archive` from skopeo imports; an import
// killed half-way finishes when run again; hostile and broken archives are refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, startBinary, tempDir, type BinaryServer } from "../support/server";
import { WebhookReceiver } from "../support/webhookReceiver";
import { choreEnv } from "../support/e2eBackend";
import { storedDigests, storesOf } from "../support/e2eStored";
import { layoutBlobs, layoutRef, MiB, OCI, OciLayoutWriter, run, sha256Of, tarArchive, type LayoutDescriptor } from "../support/e2eHelpers";

const dirs: string[] = [];
function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

// A namespace of its own: podman's image store is shared with whatever else runs here.
const NS = `arc${crypto.randomUUID().slice(0, 8)}`;
let bin: string;
let srv: BinaryServer;
let src: string;
let index: LayoutDescriptor;
let solo: { manifest: LayoutDescriptor; config: LayoutDescriptor; layers: LayoutDescriptor[] };
let signature: string;

async function berth(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run([bin, ...args], { allowFail: true, env: { HOME: process.env.HOME ?? "/tmp", ...(await choreEnv(args)) } });
}

const skopeo = (...args: string[]) => run(["skopeo", "--insecure-policy", ...args]);

/** Pushes a signature-like referrer of `subject` to `repo` (what oras attach does). */
async function pushReferrer(base: string, repo: string, subject: LayoutDescriptor): Promise<string> {
  const config = new TextEncoder().encode("{}");
  const payload = new TextEncoder().encode(`signature of ${subject.digest}`);
  for (const blob of [config, payload]) {
    const res = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha256Of(blob)}`, { method: "POST", body: blob });
    expect(res.status).toBe(201);
  }
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI.manifest,
      artifactType: "application/vnd.example.signature",
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha256Of(config), size: config.byteLength },
      layers: [{ mediaType: "application/vnd.example.signature.v1", digest: sha256Of(payload), size: payload.byteLength }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    }),
  );
  const digest = sha256Of(manifest);
  const res = await fetch(`${base}/v2/${repo}/manifests/${digest}`, { method: "PUT", body: manifest, headers: { "Content-Type": OCI.manifest } });
  expect(res.status).toBe(201);
  return digest;
}

/** Every blob of `got` is byte-equal to the same digest in `want`, and `got` has exactly `digests`. */
function expectBlobsFrom(want: string, got: string, digests: string[]): void {
  const a = layoutBlobs(want);
  const b = layoutBlobs(got);
  expect([...b.keys()].sort()).toEqual([...digests].sort());
  for (const [digest, info] of b) {
    expect(info.actual).toBe(digest);
    expect(Buffer.compare(readFileSync(info.path), readFileSync(a.get(digest)!.path))).toBe(0);
  }
}

/** The digests of the index, its two images and their blobs (all a pull of the index fetches). */
function indexTree(): string[] {
  const out = [index.digest];
  const body = JSON.parse(readFileSync(join(src, "blobs/sha256", index.digest.slice(7)), "utf8")) as { manifests: LayoutDescriptor[] };
  for (const m of body.manifests) {
    out.push(m.digest);
    const image = JSON.parse(readFileSync(join(src, "blobs/sha256", m.digest.slice(7)), "utf8")) as { config: LayoutDescriptor; layers: LayoutDescriptor[] };
    out.push(image.config.digest, ...image.layers.map((l) => l.digest));
  }
  return out;
}

beforeAll(async () => {
  bin = await buildBinary();
  srv = await startBinary();
  dirs.push(srv.dataDir);
  src = dir("berth-archive-src-");
  const layout = new OciLayoutWriter(src);
  const amd = layout.addImage({ architecture: "amd64", layers: 2, layerSize: MiB });
  const arm = layout.addImage({ architecture: "arm64", layers: 2, layerSize: MiB });
  index = layout.addIndex([
    { ...amd.manifest, platform: { architecture: "amd64", os: "linux" } },
    { ...arm.manifest, platform: { architecture: "arm64", os: "linux" } },
  ]);
  layout.tag("v1", index);
  solo = layout.addImage({ architecture: "amd64", layers: 1, layerSize: MiB });
  layout.tag("solo", solo.manifest);
  const reg = `127.0.0.1:${srv.port}`;
  await skopeo("copy", "--all", "--dest-tls-verify=false", "--preserve-digests", `oci:${src}:v1`, `docker://${reg}/${NS}/app:v1`);
  await skopeo("copy", "--dest-tls-verify=false", "--preserve-digests", `oci:${src}:solo`, `docker://${reg}/${NS}/tool:1.0`);
  signature = await pushReferrer(srv.url, `${NS}/app`, index);
}, 180_000);

afterAll(async () => {
  await srv?.stop();
  await run(["podman", "rmi", "-f", `localhost/${NS}/app:v1`], { allowFail: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("berth export", () => {
  let one: string;

  beforeAll(async () => {
    one = join(dir("berth-archive-out-"), "app.tar");
    const out = await berth("export", "--data", srv.dataDir, "--repository", `${NS}/app:v1`, "--output", one);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("1 image(s) and 1 referrer(s), 4 manifests");
  });

  test("is an OCI layout: index.json names the image ns/name:tag; the referrer travels among the blobs", async () => {
    const listing = (await run(["tar", "tf", one])).stdout.split("\n");
    expect(listing.slice(0, 2)).toEqual(["oci-layout", "index.json"]);
    for (const d of [...indexTree(), signature]) expect(listing).toContain(`blobs/sha256/${d.slice(7)}`);
    const indexJson = JSON.parse((await run(["tar", "xOf", one, "index.json"])).stdout);
    expect(indexJson.manifests).toEqual([{ mediaType: OCI.index, digest: index.digest, size: index.size, annotations: { [OCI.refName]: `${NS}/app:v1` } }]);
    expect(existsPartial(one)).toBe(false);
  });

  test("skopeo copy oci-archive: reads every platform back byte for byte", async () => {
    const dst = dir("berth-archive-dst-");
    await skopeo("copy", "--all", "--preserve-digests", `oci-archive:${one}:${NS}/app:v1`, `oci:${dst}:v1`);
    expect(layoutRef(dst, "v1")?.digest).toBe(index.digest);
    expectBlobsFrom(src, dst, indexTree());
  });

  test("podman load loads it", async () => {
    const out = await run(["podman", "load", "-i", one]);
    expect(out.stdout + out.stderr).toContain(`Loaded image: localhost/${NS}/app:v1`);
    const images = await run(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}"]);
    expect(images.stdout).toContain(`localhost/${NS}/app:v1`);
  });

  test("a repository or tag that is not there is an error, and no file is left", async () => {
    const target = join(dir("berth-archive-none-"), "x.tar");
    for (const repo of [`${NS}/missing`, `${NS}/app:nope`]) {
      const out = await berth("export", "--data", srv.dataDir, "--repository", repo, "--output", target);
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/no repository|no tag/);
    }
    expect(readdirSync(join(target, ".."))).toEqual([]);
  });
});

function existsPartial(file: string): boolean {
  return readdirSync(join(file, "..")).some((f) => f.endsWith(".partial"));
}

describe("berth import", () => {
  let fresh: BinaryServer;
  let all: string;

  beforeAll(async () => {
    all = join(dir("berth-archive-all-"), "all.tar");
    const out = await berth("export", "--data", srv.dataDir, "--output", all);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("2 image(s) and 1 referrer(s)");
    // Webhooks to the test's receiver on loopback (the notification test).
    fresh = await startBinary({ env: { BERTH_NOTIFICATION_ALLOW_LOOPBACK: "true" } });
    dirs.push(fresh.dataDir);
    // The server made its bootstrap admin at start.
    for (const args of [["org", "add", NS, "--owner", "admin"], ["org", "add", "other", "--owner", "admin"], ["org", "add", "podman", "--owner", "admin"], ["org", "add", "hooks", "--owner", "admin"]]) {
      expect((await berth(...args, "--data", fresh.dataDir)).code).toBe(0);
    }
  });

  afterAll(async () => {
    await fresh?.stop();
  });

  test("into a fresh data directory while its server runs; skopeo pulls every image back byte for byte", async () => {
    const out = await berth("import", all, "--data", fresh.dataDir);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`added: ${NS}/app:v1 ${index.digest}`);
    expect(out.stdout).toContain(`added: ${NS}/tool:1.0 ${solo.manifest.digest}`);
    expect(out.stdout).toContain(`added: ${NS}/app (referrer of ${index.digest}) ${signature}`);
    expect(out.stdout).toMatch(/5 manifests added, 0 already present; 10 blobs added .*, 0 already present/);
    const reg = `127.0.0.1:${fresh.port}`;
    const app = dir("berth-archive-pull-");
    await skopeo("copy", "--all", "--src-tls-verify=false", "--preserve-digests", `docker://${reg}/${NS}/app:v1`, `oci:${app}:v1`);
    expectBlobsFrom(src, app, indexTree());
    const tool = dir("berth-archive-pull-");
    await skopeo("copy", "--src-tls-verify=false", "--preserve-digests", `docker://${reg}/${NS}/tool:1.0`, `oci:${tool}:1.0`);
    expectBlobsFrom(src, tool, [solo.manifest.digest, solo.config.digest, ...solo.layers.map((l) => l.digest)]);
    const referrers = (await (await fetch(`${fresh.url}/v2/${NS}/app/referrers/${index.digest}`)).json()) as { manifests: LayoutDescriptor[] };
    expect(referrers.manifests.map((m: LayoutDescriptor) => m.digest)).toEqual([signature]);
  }, 120_000);

  test("again: everything is already present, nothing is added", async () => {
    const out = await berth("import", all, "--data", fresh.dataDir);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`already present: ${NS}/app:v1 ${index.digest}`);
    expect(out.stdout).toMatch(/0 manifests added, 3 already present; 0 blobs added \(0\.0 MiB\), 0 already present/);
  });

  test("--namespace puts the images elsewhere; blobs the registry has are mounted, not copied", async () => {
    const out = await berth("import", all, "--data", fresh.dataDir, "--namespace", "other");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`added: other/app:v1 ${index.digest}`);
    expect(out.stdout).toMatch(/5 manifests added, 0 already present; 0 blobs added \(0\.0 MiB\), 10 already present/);
    const res = await fetch(`${fresh.url}/v2/other/tool/manifests/1.0`, { headers: { Accept: OCI.manifest } });
    expect(res.headers.get("docker-content-digest")).toBe(solo.manifest.digest);
  });

  test("a docker-archive (skopeo copy … docker-archive:) becomes a schema 2 manifest over the same config and layers", async () => {
    const archive = join(dir("berth-archive-docker-"), "d.tar");
    await skopeo("copy", `oci:${src}:solo`, `docker-archive:${archive}:${NS}/dock:v1`);
    const out = await berth("import", archive, "--data", fresh.dataDir);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`added: ${NS}/dock:v1`);
    const unpacked = dir("berth-archive-docker-x-");
    await run(["tar", "xf", archive, "-C", unpacked]);
    const saved = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8"))[0] as { Config: string; Layers: string[] };
    const pulled = dir("berth-archive-docker-p-");
    await skopeo("copy", "--src-tls-verify=false", `docker://127.0.0.1:${fresh.port}/${NS}/dock:v1`, `dir:${pulled}`);
    const manifest = JSON.parse(readFileSync(join(pulled, "manifest.json"), "utf8"));
    expect(manifest.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    const files = [saved.Config, ...saved.Layers].map((f) => readFileSync(join(unpacked, f)));
    const named = [manifest.config, ...manifest.layers] as LayoutDescriptor[];
    expect(named.map((d) => d.digest)).toEqual(files.map((f) => sha256Of(f)));
    for (const [i, d] of named.entries()) expect(Buffer.compare(readFileSync(join(pulled, d.digest.slice(7))), files[i]!)).toBe(0);
  });

  test("a podman save --format docker-archive of the image podman loaded imports with the same layers", async () => {
    const archive = join(dir("berth-archive-podman-"), "p.tar");
    await run(["podman", "save", "--format", "docker-archive", "-o", archive, `localhost/${NS}/app:v1`]);
    const out = await berth("import", archive, "--data", fresh.dataDir, "--namespace", "podman");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`added: podman/app:v1`);
    const inspect = JSON.parse((await skopeo("inspect", "--tls-verify=false", `docker://127.0.0.1:${fresh.port}/podman/app:v1`)).stdout);
    const unpacked = dir("berth-archive-podman-x-");
    await run(["tar", "xf", archive, "-C", unpacked]);
    const saved = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8"))[0] as { Config: string; Layers: string[] };
    // The layers as podman saved them (uncompressed tars), named by their own digests.
    expect(inspect.Layers).toEqual(saved.Layers.map((l) => sha256Of(readFileSync(join(unpacked, l)))));
    expect(inspect.Layers).toHaveLength(2);
    expect(inspect.Architecture).toBe("amd64");
  });

  test("imports are pushes to the registry's listeners: a repo_push webhook is sent, quay.expires-after applies, the audit log has the push", async () => {
    const receiver = new WebhookReceiver();
    try {
      const layoutDir = dir("berth-archive-hooks-");
      const layout = new OciLayoutWriter(layoutDir);
      const first = layout.addImage({ layers: 1, layerSize: 1024 });
      layout.tag("hooks/app:v1", first.manifest);
      expect((await berth("import", layoutDir, "--data", fresh.dataDir)).code).toBe(0);
      const hook = receiver.hook();
      const stores = await storesOf(fresh.dataDir);
      const repo = (await stores.repositories.find("hooks/app"))!;
      try {
        await stores.notifications.create({ repositoryId: repo.id, event: "repo_push", method: "webhook", config: { url: hook.url }, eventConfig: {} });
      } finally {
        await stores.close();
      }
      // A second image, labelled to expire in two days.
      const layer = layout.addBlob(OCI.layerGzip, Bun.gzipSync(new Uint8Array(4096)));
      const config = layout.addBlob(OCI.config, new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: { "quay.expires-after": "2d" } }, rootfs: { type: "layers", diff_ids: [sha256Of(new Uint8Array(4096))] } })));
      const manifest = layout.addBlob(OCI.manifest, new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI.manifest, config, layers: [layer] })));
      layout.tag("hooks/app:v2", manifest);
      const started = Date.now();
      const out = await berth("import", layoutDir, "--data", fresh.dataDir);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain(`added: hooks/app:v2 ${manifest.digest}`);
      // The running server's delivery worker finds the queued event.
      const deadline = Date.now() + 15_000;
      while (receiver.of(hook.path).length === 0 && Date.now() < deadline) await Bun.sleep(100);
      expect(receiver.of(hook.path).map((b) => b.updated_tags)).toEqual([["v2"]]);
      const check = await storesOf(fresh.dataDir);
      try {
        const [v2] = (await check.tags.history(repo.id, { name: "v2", onlyActive: true, offset: 0, limit: 1 }));
        expect(v2!.expiresMs).toBeGreaterThanOrEqual(started + 2 * 86_400_000 - 1000);
        expect(v2!.expiresMs).toBeLessThanOrEqual(Date.now() + 2 * 86_400_000);
        const pushes = await check.auditLog.page({ repositoryId: repo.id, kinds: ["push_repo"], startMs: started, endMs: Date.now() + 1000 }, undefined, 100);
        expect(pushes.entries.map((e) => (e.metadata as { tag?: string }).tag)).toContain("v2");
      } finally {
        await check.close();
      }
    } finally {
      receiver.stop();
    }
  });

  test("an import killed half-way finishes when run again", async () => {
    const big = dir("berth-archive-big-");
    const layout = new OciLayoutWriter(big);
    const image = layout.addImage({ layers: 4, layerSize: 48 * MiB });
    layout.tag(`${NS}/big:v1`, image.manifest);
    const layers = new Set(image.layers.map((l) => l.digest));
    const args = ["import", big, "--data", fresh.dataDir];
    const proc = Bun.spawn([bin, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...(await choreEnv(args)) } });
    // Killed once its first layer is stored, before the last one is.
    while (!(await storedDigests(fresh.dataDir)).some((d) => layers.has(d))) {
      if (proc.exitCode !== null) throw new Error("the import ended before it could be killed");
      await Bun.sleep(5);
    }
    proc.kill("SIGKILL");
    expect(await proc.exited).not.toBe(0);
    const stored = (await storedDigests(fresh.dataDir)).filter((d) => layers.has(d)).length;
    expect(stored).toBeLessThan(4);
    const again = await berth("import", big, "--data", fresh.dataDir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`added: ${NS}/big:v1 ${image.manifest.digest}`);
    expect(again.stdout).toMatch(/1 manifests added, 0 already present; [1-4] blobs added .*, [1-4] already present/);
    const pulled = dir("berth-archive-big-p-");
    await skopeo("copy", "--src-tls-verify=false", "--preserve-digests", `docker://127.0.0.1:${fresh.port}/${NS}/big:v1`, `oci:${pulled}:v1`);
    expectBlobsFrom(big, pulled, [image.manifest.digest, image.config.digest, ...layers]);
    const fsck = await berth("fsck", "--data", fresh.dataDir);
    expect(fsck.stdout).toMatch(/no damage left|clean/);
    expect(fsck.code).toBe(0);
  }, 180_000);

  describe("bad archives are refused, and nothing is stored", () => {
    async function refused(location: string, message: RegExp): Promise<void> {
      const out = await berth("import", location, "--data", fresh.dataDir, "--repository", `${NS}/bad`);
      expect(out.stderr).toMatch(message);
      expect(out.code).toBe(1);
      // The repository may have been made (before the bad blob was met), but it has no image.
      const tags = await fetch(`${fresh.url}/v2/${NS}/bad/tags/list`);
      const body = (await tags.json()) as { tags?: string[] | null };
      if (tags.status !== 404) expect(body.tags ?? []).toEqual([]);
    }

    test("a truncated tar", async () => {
      const cut = join(dir("berth-archive-cut-"), "cut.tar");
      cpSync(all, cut);
      truncateSync(cut, Math.floor(statSync(all).size / 2));
      await refused(cut, /truncated/);
    });

    test("a layer whose bytes do not match its digest", async () => {
      const copy = dir("berth-archive-bad-");
      const layout = new OciLayoutWriter(copy);
      const image = layout.addImage({ layers: 1, layerSize: MiB });
      layout.tag("v1", image.manifest);
      const path = join(copy, "blobs/sha256", image.layers[0]!.digest.slice(7));
      const bytes = readFileSync(path);
      bytes[bytes.length - 100] ^= 0xff;
      writeFileSync(path, bytes);
      await refused(copy, new RegExp(`blob ${image.layers[0]!.digest} in the archive does not match its digest`));
      expect(await storedDigests(fresh.dataDir)).not.toContain(image.layers[0]!.digest);
    });

    test("a manifest whose bytes do not match its digest", async () => {
      const copy = dir("berth-archive-badm-");
      const layout = new OciLayoutWriter(copy);
      const image = layout.addImage({ layers: 1, layerSize: 1024 });
      layout.tag("v1", image.manifest);
      const path = join(copy, "blobs/sha256", image.manifest.digest.slice(7));
      writeFileSync(path, readFileSync(path, "utf8").replace("schemaVersion", "schemaVersion "));
      await refused(copy, /manifest .* is \d+ bytes in the archive, but is described as|does not match its digest/);
    });

    const layout = new TextEncoder().encode(JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    const emptyIndex = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, manifests: [] }));
    test.each([
      ["../evil", [{ name: "../evil", data: new Uint8Array(3) }], /"\.\.\/evil" climbs out/],
      ["an absolute path", [{ name: "/tmp/evil", data: new Uint8Array(3) }], /"\/tmp\/evil" is an absolute path/],
      ["a symlink to an absolute path", [{ name: "blobs/sha256/x", type: "2", linkName: "/etc/passwd" }], /symbolic link that points to the absolute path/],
      ["a symlink out of the archive", [{ name: "blobs/sha256/x", type: "2", linkName: "../../../etc/passwd" }], /symbolic link that points outside the archive/],
      ["a device", [{ name: "dev", type: "3" }], /of type "3".*refused/],
    ])("a tar entry with %s", async (_what, entries, message) => {
      const file = join(dir("berth-archive-evil-"), "evil.tar");
      writeFileSync(file, tarArchive([{ name: "oci-layout", data: layout }, { name: "index.json", data: emptyIndex }, ...entries]));
      await refused(file, message);
    });

    test("a huge index.json", async () => {
      const huge = dir("berth-archive-huge-");
      writeFileSync(join(huge, "oci-layout"), layout);
      const entry = { mediaType: OCI.manifest, digest: `sha256:${"0".repeat(64)}`, size: 2 };
      writeFileSync(join(huge, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: Array(120_000).fill(entry) }));
      mkdirSync(join(huge, "blobs"));
      await refused(huge, /index\.json is \d+ bytes, more than the 16777216 bytes Berth reads/);
    });

    test("a file that is no archive", async () => {
      const file = join(dir("berth-archive-junk-"), "junk.tar");
      writeFileSync(file, Buffer.alloc(4096, 7));
      await refused(file, /not a valid tar archive/);
    });
  });
});
