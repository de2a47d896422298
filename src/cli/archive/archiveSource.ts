// What `berth import` reads from: a directory (an OCI layout, an unpacked `docker save`) or a
// tar file, read in place. A tar is indexed once (its headers, seeking over the data) and each
// entry is then streamed from its offset: nothing is extracted, nothing held in memory whole.
import { lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join, sep } from "node:path";
import { BLOCK, paddedSize, parseHeader, parsePax, safeEntryPath, symlinkTarget } from "../../oci";
import { CliError } from "../accounts";

/** Bad input: the message says what is wrong with the archive (exit status 1). */
export class ArchiveError extends CliError {}

export interface ArchiveSource {
  /** The entry's size, or undefined when the archive has no such regular file. */
  size(path: string): number | undefined;
  /** Paths of the regular files directly in the directory `dir` (an archive path). */
  list(dir: string): string[];
  /** The entry's bytes streamed. */
  stream(path: string): ReadableStream<Uint8Array>;
  /** The whole entry, refused when over `max` bytes (JSON files an archive could make huge). */
  read(path: string, max: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens `location` as a directory or a tar file. */
export async function openArchive(location: string): Promise<ArchiveSource> {
  let st;
  try {
    st = statSync(location);
  } catch {
    throw new ArchiveError(`${location}: no such file or directory`);
  }
  if (st.isDirectory()) return new DirectorySource(location);
  if (!st.isFile()) throw new ArchiveError(`${location} is neither a directory nor a tar file`);
  const compression = compressionOf(await Bun.file(location).slice(0, 6).bytes());
  if (compression) throw new ArchiveError(`${location} is ${compression}-compressed: decompress it first (berth import reads plain tar files in place)`);
  return TarSource.index(location, st.size);
}

const MAGIC: [string, number[]][] = [
  ["gzip", [0x1f, 0x8b]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["bzip2", [0x42, 0x5a, 0x68]],
];

function compressionOf(head: Uint8Array): string | undefined {
  return MAGIC.find(([, magic]) => magic.every((b, i) => head[i] === b))?.[0];
}

function checkedPath(path: string): string {
  const safe = safeEntryPath(path);
  if (!safe.ok) throw new ArchiveError(`the archive names the path "${path}", which ${safe.message}`);
  return safe.path;
}

async function readCapped(source: ArchiveSource, path: string, max: number): Promise<Uint8Array> {
  const size = source.size(path);
  if (size === undefined) throw new ArchiveError(`${path} is missing from the archive`);
  if (size > max) throw new ArchiveError(`${path} is ${size} bytes, more than the ${max} bytes Berth reads`);
  return new Uint8Array(await new Response(source.stream(path)).arrayBuffer());
}

class DirectorySource implements ArchiveSource {
  private readonly root: string;

  constructor(dir: string) {
    this.root = realpathSync(dir);
  }

  /** The file's real path, refused when a symbolic link takes it out of the directory. */
  private file(path: string): string | undefined {
    const full = join(this.root, checkedPath(path));
    try {
      lstatSync(full);
    } catch {
      return undefined;
    }
    const real = realpathSync(full);
    if (real !== this.root && !real.startsWith(this.root + sep)) throw new ArchiveError(`${path} is a symbolic link out of the directory`);
    return statSync(real).isFile() ? real : undefined;
  }

  size(path: string): number | undefined {
    const f = this.file(path);
    return f === undefined ? undefined : statSync(f).size;
  }

  list(dir: string): string[] {
    const base = checkedPath(dir);
    let names: string[];
    try {
      names = readdirSync(join(this.root, base));
    } catch {
      return [];
    }
    return names.map((n) => `${base}/${n}`).filter((p) => this.size(p) !== undefined);
  }

  stream(path: string): ReadableStream<Uint8Array> {
    const f = this.file(path);
    if (f === undefined) throw new ArchiveError(`${path} is missing from the archive`);
    return Bun.file(f).stream();
  }

  read(path: string, max: number): Promise<Uint8Array> {
    return readCapped(this, path, max);
  }

  async close(): Promise<void> {}
}

interface TarEntry {
  offset: number;
  size: number;
}

/** Entries an archive may hold: each costs a map entry while importing. */
const MAX_ENTRIES = 1_000_000;
const MAX_PAX = 1024 * 1024;

class TarSource implements ArchiveSource {
  private constructor(
    private readonly file: string,
    private readonly entries: Map<string, TarEntry>,
  ) {}

  static async index(file: string, fileSize: number): Promise<TarSource> {
    const fh = await open(file, "r");
    try {
      const { files, links } = await scan(fh, fileSize);
      for (const [path, target] of links) {
        const found = resolveLink(files, links, target);
        if (found) files.set(path, found);
      }
      return new TarSource(file, files);
    } finally {
      await fh.close();
    }
  }

  size(path: string): number | undefined {
    return this.entries.get(checkedPath(path))?.size;
  }

  list(dir: string): string[] {
    const prefix = `${checkedPath(dir)}/`;
    return [...this.entries.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/"));
  }

  stream(path: string): ReadableStream<Uint8Array> {
    const e = this.entries.get(checkedPath(path));
    if (!e) throw new ArchiveError(`${path} is missing from the archive`);
    return Bun.file(this.file).slice(e.offset, e.offset + e.size).stream();
  }

  read(path: string, max: number): Promise<Uint8Array> {
    return readCapped(this, path, max);
  }

  async close(): Promise<void> {}
}

/** Follows links (symbolic and hard, both as archive paths) to a regular file, at most 16 hops. */
function resolveLink(files: Map<string, TarEntry>, links: Map<string, string>, target: string): TarEntry | undefined {
  let path = target;
  for (let hop = 0; hop < 16; hop++) {
    const file = files.get(path);
    if (file) return file;
    const next = links.get(path);
    if (next === undefined) return undefined;
    path = next;
  }
  return undefined;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return bytesRead === length ? buf : buf.subarray(0, bytesRead);
}

/**
 * Walks the headers: regular files by path (offset and size), links by path (their target as
 * an archive path). Refuses what no image archive holds: names leaving the archive, links
 * pointing out of it, devices; and a file cut short.
 */
async function scan(fh: FileHandle, fileSize: number): Promise<{ files: Map<string, TarEntry>; links: Map<string, string> }> {
  const files = new Map<string, TarEntry>();
  const links = new Map<string, string>();
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  for (;;) {
    if (pos + BLOCK > fileSize) throw new ArchiveError(`the tar archive is truncated (it ends at byte ${fileSize} without its end-of-archive blocks)`);
    const read = parseHeader(await readAt(fh, pos, BLOCK));
    if (read.kind === "end") break;
    if (read.kind === "invalid") throw new ArchiveError(`not a valid tar archive at byte ${pos}: ${read.message}`);
    const h = read.header;
    const size = h.type === "paxHeader" || h.type === "paxGlobal" || h.type === "gnuLongName" || h.type === "gnuLongLink" ? h.size : Number(pax?.get("size") ?? h.size);
    const dataAt = pos + BLOCK;
    if (!Number.isSafeInteger(size) || dataAt + size > fileSize) throw new ArchiveError(`the tar archive is truncated: the entry "${h.name}" needs ${size} bytes past byte ${dataAt}, the file has ${fileSize}`);
    pos = dataAt + paddedSize(size);
    if (h.type === "paxHeader" || h.type === "gnuLongName" || h.type === "gnuLongLink") {
      if (size > MAX_PAX) throw new ArchiveError(`a tar extended header is ${size} bytes (at most ${MAX_PAX})`);
      const data = await readAt(fh, dataAt, size);
      if (h.type === "paxHeader") {
        pax = parsePax(data);
        if (!pax) throw new ArchiveError(`a malformed pax header at byte ${dataAt - BLOCK}`);
      } else {
        const text = new TextDecoder().decode(data).replace(/\0+$/, "");
        if (h.type === "gnuLongName") longName = text;
        else longLink = text;
      }
      continue;
    }
    if (h.type === "paxGlobal") continue;
    const name = pax?.get("path") ?? longName ?? h.name;
    const linkName = pax?.get("linkpath") ?? longLink ?? h.linkName;
    pax = longName = longLink = undefined;
    const safe = safeEntryPath(name);
    if (!safe.ok) throw new ArchiveError(`the tar entry "${name}" ${safe.message}: refused`);
    if (files.size + links.size >= MAX_ENTRIES) throw new ArchiveError(`the tar archive has more than ${MAX_ENTRIES} entries`);
    switch (h.type) {
      case "file":
        files.set(safe.path, { offset: dataAt, size });
        links.delete(safe.path);
        break;
      case "directory":
        break;
      case "symlink": {
        const target = symlinkTarget(safe.path, linkName);
        if (!target.ok) throw new ArchiveError(`the tar entry "${name}" is a symbolic link that ${target.message}: refused`);
        links.set(safe.path, target.path);
        files.delete(safe.path);
        break;
      }
      case "hardlink": {
        const target = safeEntryPath(linkName);
        if (!target.ok) throw new ArchiveError(`the tar entry "${name}" is a hard link to "${linkName}", which ${target.message}: refused`);
        links.set(safe.path, target.path);
        files.delete(safe.path);
        break;
      }
      default:
        throw new ArchiveError(`the tar entry "${name}" is of type "${h.flag}" (a device, a FIFO or unknown), which no image archive holds: refused`);
    }
  }
  return { files, links };
}
