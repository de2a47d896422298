import type { AppendResult, BlobStat, BlobStore } from "./blobStore";
import { isMissing, S3Api, type S3Settings } from "./s3/s3Api";
import { S3Uploads } from "./s3/s3Uploads";
import type { S3UploadRecords } from "./s3/uploadRecords";

// Blobs in an S3-compatible bucket under a prefix:
//   <prefix>blobs/<alg>/<hex>      the blobs (S3 lists keys in order: digest order for free)
//   <prefix>uploads/<id>/...       upload sessions' bytes (s3/uploadState.ts; their state is in the database)
//   <prefix>trash/, quarantine/    set aside by the collector, or for not hashing to their digest
// Digests and ids arrive validated; assertSafe() is a last guard against key tricks.
const SAFE_DIGEST = /^(sha256|sha512):[a-f0-9]{64,128}$/;
const SAFE_UPLOAD_ID = /^[A-Za-z0-9-]{8,64}$/;
/** A collector decides about a set-aside blob in milliseconds; one older than this was abandoned by a crash. */
const TRASH_ABANDONED_MS = 10 * 60_000;

function assertSafe(value: string, pattern: RegExp): void {
  if (!pattern.test(value)) throw new Error(`unsafe storage key: ${JSON.stringify(value)}`);
}

export interface S3StoreOptions extends S3Settings {
  /** Key prefix inside the bucket ("" or ending in "/"). */
  prefix: string;
  /** Pulls answer with a presigned URL instead of streaming the bytes through Berth. */
  redirect?: boolean;
  /** How long a presigned URL works. */
  redirectSeconds?: number;
  /** A set-aside blob older than this was left by a crashed collector (tests shorten it). */
  trashAbandonedMs?: number;
}

export class S3BlobStore implements BlobStore {
  readonly api: S3Api;
  private readonly uploads: S3Uploads;
  private readonly prefix: string;

  /** `records`: where uploads' state is kept (the metadata database: store/meta/s3Uploads.ts). */
  constructor(
    private readonly opts: S3StoreOptions,
    records: S3UploadRecords,
  ) {
    this.api = new S3Api(opts);
    this.prefix = opts.prefix === "" || opts.prefix.endsWith("/") ? opts.prefix : `${opts.prefix}/`;
    this.uploads = new S3Uploads(this.api, `${this.prefix}uploads/`, records);
  }

  /** Creates the bucket when it is missing (at start). */
  async open(): Promise<this> {
    await this.api.ensureBucket();
    return this;
  }

  blobKey(digest: string): string {
    assertSafe(digest, SAFE_DIGEST);
    return `${this.prefix}blobs/${digest.replace(":", "/")}`;
  }

  private uploadId(id: string): string {
    assertSafe(id, SAFE_UPLOAD_ID);
    return id;
  }

  async stat(digest: string): Promise<BlobStat> {
    return this.statKey(this.blobKey(digest));
  }

  private async statKey(key: string): Promise<BlobStat> {
    try {
      const s = await this.api.client.stat(key);
      return { exists: true, size: s.size, modifiedMs: s.lastModified.getTime() };
    } catch (e) {
      if (isMissing(e)) return { exists: false };
      throw e;
    }
  }

  read(digest: string, range?: { start: number; end: number }): Blob {
    const file = this.api.client.file(this.blobKey(digest));
    return range ? file.slice(range.start, range.end + 1) : file;
  }

  body(digest: string, range?: { start: number; end: number }): Blob | ReadableStream<Uint8Array> {
    // Never the S3File itself: a Response given one answers with a redirect (Bun's choice).
    return this.read(digest, range).stream();
  }

  redirectUrl(digest: string): string | undefined {
    if (!this.opts.redirect) return undefined;
    return this.api.client.presign(this.blobKey(digest), { expiresIn: this.opts.redirectSeconds ?? 20 * 60 });
  }

  async *list(): AsyncIterable<string> {
    const root = `${this.prefix}blobs/`;
    for await (const key of this.api.keys(root)) {
      const digest = key.slice(root.length).replace("/", ":");
      if (SAFE_DIGEST.test(digest)) yield digest;
    }
  }

  async deleteUnreferenced(digest: string, writtenBeforeMs: number, isReferenced: () => boolean | Promise<boolean>): Promise<number | undefined> {
    const key = this.blobKey(digest);
    const before = await this.stat(digest);
    if (!before.exists || before.modifiedMs >= writtenBeforeMs) return undefined;
    // S3 has no rename. Copy aside only if unchanged since the stat (a push landing meanwhile
    // refreshes it: then it stays), delete, and decide; a push of the same digest that lands
    // after the delete simply puts it back. A push landing between the copy and the delete
    // whose row is not yet written when isReferenced() asks loses its object here: the
    // collector announced this deletion in the database first (collector.ts, PROTOCOL 6), so
    // that push's row waits for the announcement's end and then commits its upload again.
    const trash = `${this.prefix}trash/${digest.replace(":", "-")}-${crypto.randomUUID()}`;
    try {
      await this.api.copy(key, trash, before.size, { unmodifiedSince: new Date(before.modifiedMs) });
    } catch (e: any) {
      if (isMissing(e) || e?.status === 412) return undefined;
      throw e;
    }
    await this.api.client.delete(key);
    if ((await this.stat(digest)).exists || (await isReferenced())) {
      if (!(await this.stat(digest)).exists) await this.api.copy(trash, key, before.size);
      await this.api.client.delete(trash);
      return undefined;
    }
    await this.api.client.delete(trash);
    return before.size;
  }

  async recoverTrash(isReferenced: (digest: string) => boolean | Promise<boolean>): Promise<{ restored: number; dropped: number }> {
    let restored = 0;
    let dropped = 0;
    for (const { key, digest, size } of await this.abandonedTrash()) {
      if (digest && (await isReferenced(digest)) && !(await this.stat(digest)).exists) {
        await this.api.copy(key, this.blobKey(digest), size);
        restored++;
      } else dropped++;
      await this.api.client.delete(key);
    }
    return { restored, dropped };
  }

  async trashCount(): Promise<number> {
    return (await this.abandonedTrash()).length;
  }

  private async abandonedTrash(): Promise<{ key: string; digest?: string; size: number }[]> {
    const root = `${this.prefix}trash/`;
    const out = [];
    for await (const key of this.api.keys(root)) {
      const s = await this.statKey(key);
      if (!s.exists || s.modifiedMs > Date.now() - (this.opts.trashAbandonedMs ?? TRASH_ABANDONED_MS)) continue;
      const m = /^(sha256|sha512)-([a-f0-9]+)-/.exec(key.slice(root.length));
      const digest = m ? `${m[1]}:${m[2]}` : undefined;
      out.push({ key, digest: digest && SAFE_DIGEST.test(digest) ? digest : undefined, size: s.size });
    }
    return out;
  }

  async quarantine(digest: string): Promise<void> {
    const s = await this.stat(digest);
    if (!s.exists) return;
    await this.api.copy(this.blobKey(digest), `${this.prefix}quarantine/${digest.replace(":", "-")}-${Date.now()}`, s.size);
    await this.api.client.delete(this.blobKey(digest));
  }

  async createUpload(id: string): Promise<void> {
    return this.uploads.create(this.uploadId(id));
  }

  async uploadSize(id: string): Promise<number | null> {
    return this.uploads.size(this.uploadId(id));
  }

  async uploadModifiedMs(id: string): Promise<number | null> {
    return this.uploads.modifiedMs(this.uploadId(id));
  }

  async appendUpload(id: string, offset: number, body: ReadableStream<Uint8Array> | null, onChunk: (chunk: Uint8Array) => void): Promise<AppendResult> {
    return this.uploads.append(this.uploadId(id), offset, body, onChunk);
  }

  async replayUpload(id: string, length: number, onChunk: (chunk: Uint8Array) => void): Promise<void> {
    return this.uploads.replay(this.uploadId(id), length, onChunk);
  }

  async commitUpload(id: string, digest: string, opts: { keepUpload?: boolean } = {}): Promise<void> {
    // The copy gives the blob a fresh modification time: a concurrent collector leaves it be.
    return this.uploads.commit(this.uploadId(id), this.blobKey(digest), opts.keepUpload === true);
  }

  async deleteUpload(id: string): Promise<void> {
    return this.uploads.delete(this.uploadId(id));
  }

  async listUploads(): Promise<string[]> {
    return (await this.uploads.list()).filter((id) => SAFE_UPLOAD_ID.test(id));
  }

  async probe(): Promise<{ ok: true } | { ok: false; reason: string }> {
    // Written, then copied into blobs/ as a commit does; the dot keeps it out of list().
    const id = crypto.randomUUID();
    const written = `${this.prefix}probe/${id}`;
    const stored = `${this.prefix}blobs/.probe-${id}`;
    const bytes = crypto.getRandomValues(new Uint8Array(4096));
    let step = "write an object";
    try {
      await this.api.client.write(written, bytes);
      step = "copy into blobs/";
      await this.api.copy(written, stored, bytes.byteLength);
      step = "read back from blobs/";
      const back = new Uint8Array(await this.api.client.file(stored).arrayBuffer());
      if (Buffer.compare(back, bytes) !== 0) return { ok: false, reason: `${step}: the bytes differ from those written` };
      return { ok: true };
    } catch (e: any) {
      return { ok: false, reason: `${step}: ${e?.code ?? ""} ${e?.message ?? e}`.trim() };
    } finally {
      await this.api.client.delete(written).catch(() => {});
      await this.api.client.delete(stored).catch(() => {});
    }
  }
}
