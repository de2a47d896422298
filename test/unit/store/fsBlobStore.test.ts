import { describe, expect, test } from "bun:test";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FsBlobStore } from "../../../src/store/blobs/fsBlobStore";
import { tempDir } from "../../support/server";
import { blobStoreSuite, chunkStream } from "./blobStore.suite";

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

describe("the filesystem store's trash", () => {
  const hex = "ab".repeat(32);
  test("a crashed collector's set-aside blob is put back when referenced, dropped otherwise; a live collector's is left alone", async () => {
    const dir = tempDir("berth-fs-trash-");
    try {
      const store = new FsBlobStore(dir);
      const dead = 2 ** 22 + 12345; // above Linux's default pid_max: no such process
      writeFileSync(join(dir, "trash", `sha256-${hex}-${dead}-x`), "referenced");
      writeFileSync(join(dir, "trash", `sha256-${"cd".repeat(32)}-${dead}-y`), "unreferenced");
      writeFileSync(join(dir, "trash", `sha256-${"ef".repeat(32)}-${process.pid}-z`), "being decided by a live collector");
      expect(await store.trashCount()).toBe(2);
      expect(await store.recoverTrash((d) => d === `sha256:${hex}`)).toEqual({ restored: 1, dropped: 1 });
      expect(await store.read(`sha256:${hex}`).text()).toBe("referenced");
      expect(readdirSync(join(dir, "trash"))).toEqual([`sha256-${"ef".repeat(32)}-${process.pid}-z`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("filesystem appendUpload releases each chunk once written and hashed: the bytes land whole, the chunks' memory is gone", async () => {
  const dir = tempDir("berth-fs-release-");
  try {
    const store = new FsBlobStore(dir);
    const chunks = [0, 1, 2].map((i) => crypto.getRandomValues(new Uint8Array(65536 + i)));
    const expected = Buffer.concat(chunks.map((c) => Buffer.from(c)));
    const hasher = new Bun.CryptoHasher("sha256");
    const id = crypto.randomUUID();
    await store.createUpload(id);
    const appended = await store.appendUpload(id, 0, chunkStream(chunks), (c) => hasher.update(c));
    expect(appended).toEqual({ written: expected.byteLength, aborted: false });
    expect(hasher.digest("hex")).toBe(new Bun.CryptoHasher("sha256").update(expected).digest("hex"));
    expect(chunks.map((c) => c.byteLength)).toEqual([0, 0, 0]);
    expect(Buffer.from(await Bun.file(store.uploadPath(id)).arrayBuffer()).equals(expected)).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
