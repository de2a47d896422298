// Tar headers, written and read (POSIX ustar with pax extended headers; GNU long names and
// base-256 sizes read too), and the one rule for entry names Berth accepts. Pure: the reading and
// writing of archives themselves (streaming, never extracting) is the CLI's business.
//
// Why our own: an image archive needs regular files and directories only, and a streaming writer
// and an offset index over a file are ~200 lines; the libraries on npm buffer, extract to disk or
// are unmaintained.

export const BLOCK = 512;
/** Largest size the 11 octal digits of a ustar header hold (8 GiB - 1). */
const USTAR_MAX_SIZE = 0o77777777777;

export type EntryType = "file" | "directory" | "symlink" | "hardlink" | "paxHeader" | "paxGlobal" | "gnuLongName" | "gnuLongLink" | "other";

export interface TarHeader {
  name: string;
  type: EntryType;
  /** The type flag as found (for messages about entries Berth refuses). */
  flag: string;
  size: number;
  linkName: string;
}

export type HeaderRead = { kind: "header"; header: TarHeader } | { kind: "end" } | { kind: "invalid"; message: string };

const TYPES: Record<string, EntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "5": "directory",
  "2": "symlink",
  "1": "hardlink",
  x: "paxHeader",
  g: "paxGlobal",
  L: "gnuLongName",
  K: "gnuLongLink",
};

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function cString(block: Uint8Array, off: number, len: number): string {
  const field = block.subarray(off, off + len);
  const nul = field.indexOf(0);
  return decoder.decode(nul < 0 ? field : field.subarray(0, nul));
}

/** A numeric field: octal (space or NUL padded), or GNU base-256 when the top bit is set. */
function numeric(block: Uint8Array, off: number, len: number): number | undefined {
  const field = block.subarray(off, off + len);
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) return undefined; // negative
    let n = field[0]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + field[i]!;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const text = cString(block, off, len).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

function checksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum;
}

/** Reads one 512-byte header block; `end` for the zero block that closes an archive. */
export function parseHeader(block: Uint8Array): HeaderRead {
  if (block.length !== BLOCK) return { kind: "invalid", message: "a header block is cut short" };
  if (block.every((b) => b === 0)) return { kind: "end" };
  const stored = numeric(block, 148, 8);
  if (stored === undefined || stored !== checksum(block)) return { kind: "invalid", message: "a header's checksum does not match (not a tar archive, or a damaged one)" };
  const size = numeric(block, 124, 12);
  if (size === undefined) return { kind: "invalid", message: "a header's size field is not a number" };
  const flag = String.fromCharCode(block[156]!);
  let name = cString(block, 0, 100);
  if (cString(block, 257, 5) === "ustar") {
    const prefix = cString(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return { kind: "header", header: { name, type: TYPES[flag] ?? "other", flag, size, linkName: cString(block, 157, 100) } };
}

/** The records of a pax extended header ("LEN key=value\n" each); undefined when malformed. */
export function parsePax(data: Uint8Array): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // padding some writers leave
    const space = data.indexOf(0x20, pos);
    if (space < 0) return undefined;
    const len = Number(decoder.decode(data.subarray(pos, space)));
    if (!Number.isSafeInteger(len) || len <= space - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) return undefined;
    const record = decoder.decode(data.subarray(space + 1, pos + len - 1));
    const eq = record.indexOf("=");
    if (eq <= 0) return undefined;
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * The archive-relative path an entry name stands for ("./a//b/" is "a/b"), or a refusal: absolute
 * names, ".." anywhere, backslashes and control characters never name anything Berth reads.
 */
export function safeEntryPath(name: string): { ok: true; path: string } | { ok: false; message: string } {
  if (name.startsWith("/")) return { ok: false, message: "is an absolute path" };
  if (/[\\\0-\x1f]/.test(name)) return { ok: false, message: "holds a backslash or a control character" };
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return { ok: false, message: 'climbs out with ".."' };
  return { ok: true, path: parts.join("/") };
}

/** Where a symbolic link in `linkPath` points, as an archive path; a refusal when it leaves the archive. */
export function symlinkTarget(linkPath: string, target: string): { ok: true; path: string } | { ok: false; message: string } {
  if (target.startsWith("/")) return { ok: false, message: `points to the absolute path ${target}` };
  const parts = linkPath.split("/").slice(0, -1);
  for (const p of target.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (parts.length === 0) return { ok: false, message: `points outside the archive (${target})` };
      parts.pop();
    } else parts.push(p);
  }
  return { ok: true, path: parts.join("/") };
}

function put(block: Uint8Array, text: string, off: number, len: number): void {
  block.set(encoder.encode(text).subarray(0, len), off);
}

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, "0") + "\0";
}

function ustarBlock(name: string, type: "0" | "5" | "x", size: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  put(block, name, 0, 100);
  put(block, octal(type === "5" ? 0o755 : 0o644, 8), 100, 8);
  put(block, octal(0, 8), 108, 8);
  put(block, octal(0, 8), 116, 8);
  if (size <= USTAR_MAX_SIZE) put(block, octal(size, 12), 124, 12);
  else {
    // GNU base-256 for readers without pax; the pax header before it is what most read.
    block[124] = 0x80;
    let n = size;
    for (let i = 135; i > 124; i--) {
      block[i] = n % 256;
      n = Math.floor(n / 256);
    }
  }
  put(block, octal(0, 12), 136, 12);
  block[156] = type.charCodeAt(0);
  put(block, "ustar\0", 257, 6);
  put(block, "00", 263, 2);
  put(block, octal(checksum(block), 7) + " ", 148, 8);
  return block;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length > len) len++;
  return `${len}${body}`;
}

/**
 * The header block(s) of a regular file or directory: one ustar block, preceded by a pax header
 * when the name is longer than 100 bytes or the size past 8 GiB.
 */
export function entryHeader(name: string, type: "file" | "directory", size = 0): Uint8Array {
  const flag = type === "file" ? "0" : "5";
  const records: string[] = [];
  if (encoder.encode(name).length > 100) records.push(paxRecord("path", name));
  if (size > USTAR_MAX_SIZE) records.push(paxRecord("size", String(size)));
  const header = ustarBlock(name, flag, size);
  if (records.length === 0) return header;
  const pax = encoder.encode(records.join(""));
  const out = new Uint8Array(BLOCK + paddedSize(pax.length) + BLOCK);
  out.set(ustarBlock("PaxHeaders/entry", "x", pax.length), 0);
  out.set(pax, BLOCK);
  out.set(header, BLOCK + paddedSize(pax.length));
  return out;
}

/** `size` rounded up to whole blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = new Uint8Array(2 * BLOCK);
