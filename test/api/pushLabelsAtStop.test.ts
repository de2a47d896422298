// A graceful stop waits for the push-time labels still being read after their pushes' answers:
// they are in the store when the next server opens it, not lost to a store closed under them.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startTestServer, tempDir } from "../support/server";
import { RegistryClient, repoName } from "../support/registryClient";
import { dropApiDatabase } from "../support/apiDatabase";

const dataDir = tempDir();
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await dropApiDatabase(dataDir);
});

test("labels read after the answer are stored before the store closes", async () => {
  const first = await startTestServer({}, { dataDir });
  const blobs = first.server.ctx.stores.blobs;
  const read = blobs.read.bind(blobs);
  let slowReads = 0;
  // The label reader's config read takes a while: the stop below begins while it waits.
  blobs.read = (digest, range) => {
    const blob = read(digest, range);
    slowReads++;
    return Object.assign(Object.create(blob) as Blob, { arrayBuffer: async () => (await Bun.sleep(300), blob.arrayBuffer()) });
  };
  const name = repoName();
  const image = await new RegistryClient(first.url).pushImage(name, "v1", { labels: { maintainer: "team-web" } });
  await first.stop();
  expect(slowReads).toBeGreaterThan(0);

  const second = await startTestServer({}, { dataDir });
  try {
    const stores = second.server.ctx.stores;
    const repo = (await stores.repositories.find(name))!;
    const manifest = (await stores.manifests.getByDigest(repo.id, image.digest))!;
    expect((await stores.labels.list(manifest.id)).map((l) => [l.key, l.value])).toEqual([["maintainer", "team-web"]]);
  } finally {
    await second.stop();
  }
});
