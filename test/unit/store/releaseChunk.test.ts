import { expect, test } from "bun:test";
import { releaseChunk } from "../../../src/store/blobs/releaseChunk";

const cases: { name: string; chunk: () => Uint8Array; released: boolean }[] = [
  { name: "a chunk that is its whole buffer", chunk: () => new Uint8Array(65536).fill(7), released: true },
  { name: "a view into part of a larger buffer (others may share it)", chunk: () => new Uint8Array(65536).subarray(1024, 2048), released: false },
  { name: "a view of a buffer's first bytes only", chunk: () => new Uint8Array(new ArrayBuffer(4096), 0, 100), released: false },
  { name: "an empty chunk", chunk: () => new Uint8Array(0), released: false },
  { name: "a resizable buffer", chunk: () => new Uint8Array(new ArrayBuffer(64, { maxByteLength: 128 })), released: false },
  { name: "shared memory", chunk: () => new Uint8Array(new SharedArrayBuffer(64)), released: false },
];

for (const c of cases) {
  test(`releaseChunk: ${c.name} is ${c.released ? "released" : "left alone"}`, () => {
    const chunk = c.chunk();
    const before = chunk.byteLength;
    releaseChunk(chunk);
    expect(chunk.byteLength).toBe(c.released ? 0 : before);
    expect(chunk.buffer.byteLength === 0).toBe(c.released || chunk.buffer.byteLength === 0);
  });
}
