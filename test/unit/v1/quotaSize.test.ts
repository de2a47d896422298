// Quota sizes as Quay reads (`limit` in a body) and writes them (`limit` in a view).
import { expect, test } from "bun:test";
import { formatQuotaSize, parseQuotaSize } from "../../../src/v1/quotaSize";

test.each<[string, number | undefined]>([
  ["1024", 1024],
  ["10 GiB", 10 * 1024 ** 3],
  ["10GiB", 10 * 1024 ** 3],
  ["512Mi", 512 * 1024 ** 2],
  ["1Ki", 1024],
  ["5G", 5_000_000_000],
  ["200M", 200_000_000],
  ["3 KB", 3000],
  ["1K", 1000],
  ["2 TB", 2e12],
  ["7 B", 7],
  ["1 PiB", 1024 ** 5],
  // Not sizes Quay accepts.
  ["", undefined],
  ["10  GiB", undefined],
  ["1.5 GiB", undefined],
  ["-1", undefined],
  ["10 gib", undefined],
  ["10 GB extra", undefined],
  ["GiB", undefined],
  ["10 Gb", undefined],
])("parse %p", (input, bytes) => {
  expect(parseQuotaSize(input)).toBe(bytes);
});

test.each<[number, string]>([
  [1073741824, "1.0 GiB"],
  [10 * 1024 ** 3, "10.0 GiB"],
  [5_000_000_000, "4.7 GiB"],
  [1000, "1000.0 Byte"],
  [1023, "1023.0 Byte"],
  [1024, "1.0 KiB"],
  [20000, "19.5 KiB"],
  // An exact tie rounds to even, as Python's format does.
  [1280, "1.2 KiB"],
  [1536 * 1024, "1.5 MiB"],
  [1024 ** 4 - 1, "1024.0 GiB"],
  [1024 ** 5, "1.0 PiB"],
  [1, "1.0 Byte"],
])("format %p", (bytes, text) => {
  expect(formatQuotaSize(bytes)).toBe(text);
});
