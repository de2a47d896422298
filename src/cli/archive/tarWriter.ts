// A tar archive written as a stream to a file: headers (tarHeader.ts), then each entry's bytes
// as they are read, padded to whole blocks. Memory holds one chunk at a time whatever the sizes.
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { END_OF_ARCHIVE, entryHeader, paddedSize } from "../../oci";
import { CliError } from "../accounts";

/** Writes at most this much at once: small reads are gathered into one write. */
const WRITE_BATCH = 1024 * 1024;

export class TarWriter {
  private position = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  private constructor(
    private readonly fh: FileHandle,
    private readonly partial: string,
    private readonly final: string,
  ) {}

  /** Writes into `FILE.partial`; `finish` renames it to `FILE`, so a cut-off export never looks whole. */
  static async create(file: string): Promise<TarWriter> {
    const partial = `${file}.partial`;
    try {
      return new TarWriter(await open(partial, "w", 0o600), partial, file);
    } catch (e) {
      throw new CliError(`cannot write ${partial}: ${(e as Error).message}`);
    }
  }

  async directory(name: string): Promise<void> {
    await this.put(entryHeader(name.endsWith("/") ? name : `${name}/`, "directory"));
  }

  async file(name: string, bytes: Uint8Array): Promise<void> {
    await this.put(entryHeader(name, "file", bytes.byteLength));
    await this.put(bytes);
    await this.pad(bytes.byteLength);
  }

  /**
   * A file of `size` bytes from `body`, each chunk also handed to `onChunk` (the caller hashes).
   * Refuses a body of another length: the header already promised `size`.
   */
  async stream(name: string, size: number, body: ReadableStream<Uint8Array>, onChunk: (chunk: Uint8Array) => void): Promise<void> {
    await this.put(entryHeader(name, "file", size));
    let written = 0;
    for await (const chunk of body) {
      written += chunk.byteLength;
      if (written > size) break;
      onChunk(chunk);
      await this.put(chunk);
    }
    if (written !== size) throw new Error(`${name}: expected ${size} bytes, read ${written}`);
    await this.pad(size);
  }

  /** Ends the archive, flushes it to disk and gives it its name. */
  async finish(): Promise<number> {
    await this.put(END_OF_ARCHIVE);
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
    await rename(this.partial, this.final);
    return this.position;
  }

  /** Drops the partial file (after a failure). */
  async abandon(): Promise<void> {
    await this.fh.close().catch(() => {});
    await rm(this.partial, { force: true });
  }

  private async pad(size: number): Promise<void> {
    const pad = paddedSize(size) - size;
    if (pad) await this.put(new Uint8Array(pad));
  }

  private async put(bytes: Uint8Array): Promise<void> {
    // Copied: a stream may reuse its chunk's buffer once we hand it back.
    this.pending.push(bytes.byteLength < WRITE_BATCH ? bytes.slice() : bytes);
    this.pendingBytes += bytes.byteLength;
    if (this.pendingBytes >= WRITE_BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const out = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < out.byteLength) {
      const { bytesWritten } = await this.fh.write(out, off, out.byteLength - off, this.position + off);
      off += bytesWritten;
    }
    this.position += out.byteLength;
  }
}
