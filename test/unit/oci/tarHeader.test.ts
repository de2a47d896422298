import { describe, expect, test } from "bun:test";
import { BLOCK, entryHeader, paddedSize, parseHeader, parsePax, safeEntryPath, symlinkTarget } from "../../../src/oci";

describe("entryHeader and parseHeader", () => {
  test.each([
    ["oci-layout", 30],
    ["blobs/sha256/" + "a".repeat(64), 0],
    ["blobs/", 0],
  ])("a short name round-trips in one ustar block: %s", (name, size) => {
    const header = entryHeader(name, name.endsWith("/") ? "directory" : "file", size);
    expect(header.length).toBe(BLOCK);
    const read = parseHeader(header);
    expect(read).toMatchObject({ kind: "header", header: { name, size, type: name.endsWith("/") ? "directory" : "file" } });
  });

  test("a name over 100 bytes gets a pax header with the whole path", () => {
    const name = `blobs/sha512/${"b".repeat(128)}`;
    const bytes = entryHeader(name, "file", 5);
    const pax = parseHeader(bytes.subarray(0, BLOCK));
    expect(pax).toMatchObject({ kind: "header", header: { type: "paxHeader" } });
    const size = (pax as { header: { size: number } }).header.size;
    expect(parsePax(bytes.subarray(BLOCK, BLOCK + size))?.get("path")).toBe(name);
    expect(bytes.length).toBe(BLOCK + paddedSize(size) + BLOCK);
  });

  test("a size past 8 GiB is in a pax record and in base-256 in the ustar block", () => {
    const huge = 10 * 1024 ** 3 + 7;
    const bytes = entryHeader("big", "file", huge);
    const pax = parseHeader(bytes.subarray(0, BLOCK)) as { kind: "header"; header: { size: number } };
    expect(parsePax(bytes.subarray(BLOCK, BLOCK + pax.header.size))?.get("size")).toBe(String(huge));
    const ustar = parseHeader(bytes.subarray(bytes.length - BLOCK));
    expect(ustar).toMatchObject({ kind: "header", header: { name: "big", size: huge } });
  });

  test("two zero blocks end the archive; a damaged header is invalid", () => {
    expect(parseHeader(new Uint8Array(BLOCK))).toEqual({ kind: "end" });
    const header = entryHeader("x", "file", 1);
    header[0] = "y".charCodeAt(0);
    expect(parseHeader(header).kind).toBe("invalid");
    expect(parseHeader(new TextEncoder().encode("not a tar".padEnd(BLOCK, "x"))).kind).toBe("invalid");
  });
});

describe("parsePax", () => {
  test.each([
    ["11 path=ab\n", new Map([["path", "ab"]])],
    ["11 path=ab\n15 linkpath=cd\n", new Map([["path", "ab"], ["linkpath", "cd"]])],
    ["99 path=ab\n", undefined],
    ["5 x=\n", new Map([["x", ""]])],
    ["4 =\n", undefined],
    ["path=ab\n", undefined],
  ])("%j", (text, expected) => {
    expect(parsePax(new TextEncoder().encode(text))).toEqual(expected as Map<string, string> | undefined);
  });
});

describe("safeEntryPath", () => {
  test.each([
    ["index.json", "index.json"],
    ["./blobs//sha256/ab", "blobs/sha256/ab"],
    ["blobs/", "blobs"],
  ])("%s is %s", (name, path) => {
    expect(safeEntryPath(name)).toEqual({ ok: true, path });
  });
  test.each(["/etc/passwd", "../evil", "blobs/../../x", "a/..", "a\\b", "a\u0001b"])("%j is refused", (name) => {
    expect(safeEntryPath(name).ok).toBe(false);
  });
});

describe("symlinkTarget", () => {
  test.each([
    ["abc/layer.tar", "../def.tar", "def.tar"],
    ["abc/layer.tar", "other.tar", "abc/other.tar"],
    ["a/b/c", "../../x", "x"],
  ])("%s -> %s is %s", (link, target, path) => {
    expect(symlinkTarget(link, target)).toEqual({ ok: true, path });
  });
  test.each([
    ["abc/layer.tar", "/etc/passwd"],
    ["abc/layer.tar", "../../etc/passwd"],
    ["x", ".."],
  ])("%s -> %s is refused", (link, target) => {
    expect(symlinkTarget(link, target).ok).toBe(false);
  });
});
