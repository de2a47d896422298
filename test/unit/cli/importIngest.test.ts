// `berth import` against the collector's protocol (registry/lifecycle/collector.ts) and the
// registry's guards: a collection pass between an image's blobs and its manifest takes blobs
// whose links are past the grace period, and the import brings them back and pushes; a blob the
// repository already had is linked again (its grace starts anew) so the pass leaves it alone; a
// read-only repository refuses the import with nothing stored.
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { exportArchive } from "../../../src/cli/archive/export";
import { importArchive } from "../../../src/cli/archive/import";
import { CliError } from "../../../src/cli/accounts";
import type { Registry } from "../../../src/registry/registry";
import { MiB, OciLayoutWriter } from "../../support/e2eHelpers";
import { tempDir } from "../../support/server";
import { actor, HOUR, lifecyclePerTest, type Lifecycle } from "../registry/lifecycleFixture";

const lc = lifecyclePerTest({ graceMs: HOUR });

function layoutWithImage(): { dir: string; image: ReturnType<OciLayoutWriter["addImage"]> } {
  const dir = tempDir("berth-import-layout-");
  const layout = new OciLayoutWriter(dir);
  const image = layout.addImage({ layers: 2, layerSize: MiB / 4 });
  layout.tag("team/app:v1", image.manifest);
  return { dir, image };
}

/** The registry, with `before` run ahead of the first manifest push (a collector's pass landing there). */
function withPassBeforePush(l: Lifecycle, before: () => Promise<void>): Registry {
  let first = true;
  return new Proxy(l.registry, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== "pushManifest") return typeof value === "function" ? value.bind(target) : value;
      return async (input: Parameters<Registry["pushManifest"]>[0]) => {
        if (first) {
          first = false;
          await before();
        }
        return target.pushManifest(input);
      };
    },
  });
}

async function importInto(l: Lifecycle, registry: Registry, dir: string): Promise<string> {
  return importArchive(l.stores, registry, { location: dir, maxManifestBytes: 4 * MiB });
}

describe("import and the collector", () => {
  test("blobs collected between the upload and the manifest push are brought back, and the push succeeds", async () => {
    const l = lc.get();
    const repo = await l.repo("team/app");
    const { dir, image } = layoutWithImage();
    let removed = 0;
    const registry = withPassBeforePush(l, async () => {
      l.advance(2 * HOUR); // the import took longer than the grace period
      removed = (await l.collect()).linksRemoved;
    });
    const out = await importInto(l, registry, dir);
    expect(removed).toBe(3); // the pass really took the config and both layers
    expect(out).toContain(`added: team/app:v1 ${image.manifest.digest}`);
    expect((await l.stores.manifests.getByTag(repo.id, "v1"))?.digest).toBe(image.manifest.digest);
    for (const d of [image.config, ...image.layers]) {
      expect((await l.stores.blobLinks.linkedSize(repo.id, d.digest))).toBe(d.size);
      expect((await l.stores.blobs.stat(d.digest)).exists).toBe(true);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("a blob the repository had long ago is linked again before the push, so a pass leaves it", async () => {
    const l = lc.get();
    const repo = await l.repo("team/app");
    const { dir, image } = layoutWithImage();
    const layer = await Bun.file(`${dir}/blobs/sha256/${image.layers[0]!.digest.slice(7)}`).bytes();
    await l.upload(repo, layer); // an import cut off hours ago
    l.advance(2 * HOUR);
    let removed = -1;
    const out = await importInto(l, withPassBeforePush(l, async () => void (removed = (await l.collect()).linksRemoved)), dir);
    expect(removed).toBe(0);
    expect(out).toMatch(/1 manifests added, 0 already present; 2 blobs added .*, 1 already present/);
    rmSync(dir, { recursive: true, force: true });
  });
});

test("a read-only repository refuses the import: no manifest, no tag", async () => {
  const l = lc.get();
  const repo = await l.repo("team/app");
  expect((await l.registry.setRepositoryState({ repo, state: "READ_ONLY", actor })).kind).toBe("ok");
  const { dir, image } = layoutWithImage();
  const failed = await importInto(l, l.registry, dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(failed).toBeInstanceOf(CliError);
  expect((failed as CliError).message).toContain("read-only");
  expect((await l.stores.manifests.getByDigest(repo.id, image.manifest.digest))).toBeUndefined();
  expect((await l.stores.manifests.getByTag(repo.id, "v1"))).toBeUndefined();
  rmSync(dir, { recursive: true, force: true });
});

test("one manifest under two names: stored once, both tags set; a second run finds both present", async () => {
  const l = lc.get();
  const repo = await l.repo("team/app");
  const dir = tempDir("berth-import-layout-");
  const layout = new OciLayoutWriter(dir);
  const image = layout.addImage({ layers: 1, layerSize: 1024 });
  layout.tag("team/app:v1", image.manifest);
  layout.tag("team/app:v2", image.manifest);
  const first = await importInto(l, l.registry, dir);
  expect(first).toContain(`added: team/app:v1 ${image.manifest.digest}`);
  expect(first).toContain(`tagged (its manifest was present): team/app:v2 ${image.manifest.digest}`);
  expect(first).toMatch(/1 manifests added, 1 already present; 2 blobs added/);
  expect((await l.stores.tags.list(repo.id, undefined, undefined))).toEqual(["v1", "v2"]);
  const second = await importInto(l, l.registry, dir);
  expect(second).toMatch(/0 manifests added, 2 already present; 0 blobs added \(0\.0 MiB\), 0 already present/);
  rmSync(dir, { recursive: true, force: true });
});

test("export by digest and by repository (overlapping), import elsewhere: the digest untagged, each tag once", async () => {
  const l = lc.get();
  const repo = await l.repo("team/app");
  await l.repo("other/placeholder"); // the namespace the import goes to
  const dir = tempDir("berth-import-layout-");
  const layout = new OciLayoutWriter(dir);
  const tagged = layout.addImage({ layers: 1, layerSize: 1024 }).manifest;
  const untagged = layout.addImage({ layers: 1, layerSize: 1024 }).manifest;
  layout.tag("team/app:v1", tagged);
  layout.tag("team/app:old", untagged);
  await importInto(l, l.registry, dir);
  expect((await l.registry.deleteTag({ repo, tag: "old", actor })).kind).toBe("ok");
  const out = join(tempDir("berth-export-"), "x.tar");
  const exported = await exportArchive(l.stores, { repositories: ["team/app", "team/app:v1", `team/app@${untagged.digest}`], output: out });
  expect(exported).toContain("2 image(s), 2 manifests, 4 blobs");
  const imported = await importArchive(l.stores, l.registry, { location: out, namespace: "other", maxManifestBytes: 4 * MiB });
  expect(imported).toContain(`added: other/app:v1 ${tagged.digest}`);
  expect(imported).toContain(`added: other/app ${untagged.digest}`);
  const other = (await l.stores.repositories.find("other/app"))!;
  expect((await l.stores.tags.list(other.id, undefined, undefined))).toEqual(["v1"]);
  expect((await l.stores.manifests.getByDigest(other.id, untagged.digest))?.digest).toBe(untagged.digest);
  rmSync(join(out, ".."), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

test("a refusal half-way says what was stored before it; running again skips that and fails at the same place", async () => {
  const l = lc.get();
  await l.repo("team/app");
  const ro = await l.repo("ro/app");
  expect((await l.registry.setRepositoryState({ repo: ro, state: "READ_ONLY", actor })).kind).toBe("ok");
  const dir = tempDir("berth-import-layout-");
  const layout = new OciLayoutWriter(dir);
  const a = layout.addImage({ layers: 1, layerSize: 1024 }).manifest;
  layout.tag("team/app:v1", a);
  layout.tag("ro/app:v1", layout.addImage({ layers: 1, layerSize: 1024 }).manifest);
  for (const stored of ["added", "already present"]) {
    const failed = (await importInto(l, l.registry, dir).then(() => undefined, (e: unknown) => e)) as CliError;
    expect(failed.message).toContain("ro/app");
    expect(failed.message).toContain("read-only");
    expect(failed.message).toContain(`stored before the failure (running the import again skips them):\n${stored}: team/app:v1 ${a.digest}`);
  }
  rmSync(dir, { recursive: true, force: true });
});
