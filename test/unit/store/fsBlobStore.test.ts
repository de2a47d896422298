import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { FsBlobStore } from "../../../src/store/blobs/fsBlobStore";
import { tempDir } from "../../support/server";
import { blobStoreSuite } from "./blobStore.suite";

blobStoreSuite("filesystem", async () => {
  const dir = tempDir("berth-fs-");
  return { store: new FsBlobStore(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

test("filesystem probe: a blobs directory that is gone fails, naming the step", async () => {
  const dir = tempDir("berth-fs-probe-");
  try {
    const store = new FsBlobStore(dir);
    rmSync(join(dir, "blobs"), { recursive: true });
    const out = await store.probe();
    expect(out.ok).toBe(false);
    expect(out.ok === false && out.reason).toStartWith("move into blobs/: ENOENT");
    expect(await store.listUploads()).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
