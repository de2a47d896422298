// Archives read in place: directories and tar files (links inside the archive followed, long
// names and sizes past 8 GiB read, anything that leaves the archive refused).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { ArchiveError, openArchive } from "../../../src/cli/archive/archiveSource";
import { END_OF_ARCHIVE, entryHeader, paddedSize } from "../../../src/oci";
import { tarArchive } from "../../support/e2eHelpers";
import { tempDir } from "../../support/server";

const root = tempDir("berth-archive-source-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
const enc = (s: string) => new TextEncoder().encode(s);
let n = 0;

function tarFile(bytes: Uint8Array): string {
  const file = join(root, `t${n++}.tar`);
  writeFileSync(file, bytes);
  return file;
}

async function text(location: string, path: string): Promise<string> {
  const source = await openArchive(location);
  return new Response(source.stream(path)).text();
}

describe("tar files", () => {
  test("regular files by path, symbolic and hard links followed inside the archive (docker save's shared layers)", async () => {
    const file = tarFile(
      tarArchive([
        { name: "./abc.tar", data: enc("layer bytes") },
        { name: "one/", type: "5" },
        { name: "one/layer.tar", type: "2", linkName: "../abc.tar" },
        { name: "two/layer.tar", type: "1", linkName: "abc.tar" },
        { name: "manifest.json", data: enc("[]") },
      ]),
    );
    const source = await openArchive(file);
    expect(source.size("abc.tar")).toBe(11);
    expect(await text(file, "one/layer.tar")).toBe("layer bytes");
    expect(await text(file, "two/layer.tar")).toBe("layer bytes");
    expect(source.size("one")).toBeUndefined();
    expect(source.list("one")).toEqual(["one/layer.tar"]);
    expect(await source.read("manifest.json", 10)).toEqual(enc("[]"));
    await expect(source.read("manifest.json", 1)).rejects.toThrow(/more than the 1 bytes/);
  });

  test("a GNU long name and a pax path", async () => {
    const long = `blobs/sha512/${"c".repeat(128)}`;
    const gnu = tarArchive([
      { name: "././@LongLink", type: "L", data: enc(`${long}\0`) },
      { name: long.slice(0, 100), data: enc("gnu") },
    ]);
    expect(await text(tarFile(gnu), long)).toBe("gnu");
    const pax = entryHeader(long, "file", 3);
    const bytes = new Uint8Array(pax.length + 512 + END_OF_ARCHIVE.length);
    bytes.set(pax);
    bytes.set(enc("pax"), pax.length);
    expect(await text(tarFile(bytes), long)).toBe("pax");
  });

  test("an entry past 8 GiB (a sparse file) is indexed at its size", async () => {
    const file = join(root, "huge.tar");
    const size = 9 * 1024 ** 3 + 5;
    const header = entryHeader("blobs/sha256/big", "file", size);
    const fh = await open(file, "w");
    await fh.write(header, 0, header.length, 0);
    await fh.write(END_OF_ARCHIVE, 0, END_OF_ARCHIVE.length, header.length + paddedSize(size));
    await fh.close();
    const source = await openArchive(file);
    expect(source.size("blobs/sha256/big")).toBe(size);
  });

  test.each([
    ["a truncated entry", () => tarArchive([{ name: "a", data: new Uint8Array(2000) }]).subarray(0, 1536), /truncated: the entry "a" needs 2000 bytes/],
    ["no end-of-archive blocks", () => tarArchive([{ name: "a", data: enc("x") }]).subarray(0, 1024), /truncated \(it ends at byte 1024/],
    ["a damaged header", () => Object.assign(tarArchive([{ name: "a" }]), { 0: 0x62 }), /checksum does not match/],
    ["a hard link out of the archive", () => tarArchive([{ name: "x", type: "1", linkName: "../../etc/passwd" }]), /hard link to "..\/..\/etc\/passwd", which climbs out/],
    ["a FIFO", () => tarArchive([{ name: "x", type: "6" }]), /of type "6"/],
  ])("%s is refused", async (_what, make, message) => {
    await expect(openArchive(tarFile(make()))).rejects.toThrow(message);
  });

  test("a compressed archive is refused with what to do", async () => {
    const file = tarFile(Bun.gzipSync(tarArchive([{ name: "a", data: enc("x") }])));
    await expect(openArchive(file)).rejects.toThrow(/is gzip-compressed: decompress it first/);
  });

  test("a path asked for is checked too", async () => {
    const source = await openArchive(tarFile(tarArchive([{ name: "a", data: enc("x") }])));
    expect(() => source.size("../a")).toThrow(ArchiveError);
  });
});

describe("directories", () => {
  test("files are read; a symbolic link out of the directory is refused", async () => {
    const dir = join(root, "layout");
    mkdirSync(join(dir, "blobs/sha256"), { recursive: true });
    writeFileSync(join(dir, "index.json"), "{}");
    writeFileSync(join(root, "outside"), "secret");
    symlinkSync(join(root, "outside"), join(dir, "blobs/sha256/escape"));
    symlinkSync("../../index.json", join(dir, "blobs/sha256/inside"));
    const source = await openArchive(dir);
    expect(await text(dir, "index.json")).toBe("{}");
    expect(source.size("blobs/sha256/inside")).toBe(2);
    expect(() => source.size("blobs/sha256/escape")).toThrow(/symbolic link out of the directory/);
    expect(source.size("missing")).toBeUndefined();
    expect(() => source.size("/etc/passwd")).toThrow(/absolute path/);
  });

  test("a path that is neither a directory nor a file", async () => {
    await expect(openArchive(join(root, "nothing-here"))).rejects.toThrow(/no such file or directory/);
  });
});
