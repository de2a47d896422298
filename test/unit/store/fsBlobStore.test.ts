import { rmSync } from "node:fs";
import { FsBlobStore } from "../../../src/store/blobs/fsBlobStore";
import { tempDir } from "../../support/server";
import { blobStoreSuite } from "./blobStore.suite";

blobStoreSuite("filesystem", async () => {
  const dir = tempDir("berth-fs-");
  return { store: new FsBlobStore(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});
