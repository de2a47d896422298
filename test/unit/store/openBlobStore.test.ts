import { expect, test } from "bun:test";
import { storageMismatch } from "../../../src/store/blobs/openBlobStore";

test.each([
  // recorded, wanted, has a database → refused?
  [undefined, undefined, false, false],
  [undefined, undefined, true, false],
  [undefined, "s3://b/p", false, false], // a fresh data directory may start on S3
  [undefined, "s3://b/p", true, true], // its blobs are in the directory
  ["s3://b/p", "s3://b/p", true, false],
  ["s3://b/p", undefined, true, true], // berth gc without --storage would see every blob missing
  ["s3://b/p", "s3://b/other", true, true],
] as const)("recorded %p, wanted %p, database %p: refused %p", (recorded, wanted, hasDatabase, refused) => {
  expect(storageMismatch(recorded, wanted, hasDatabase) !== undefined).toBe(refused);
});

test("the refusal names the storage to start with", () => {
  expect(storageMismatch("s3://b/p", undefined, true)).toContain("--storage s3://b/p");
});
