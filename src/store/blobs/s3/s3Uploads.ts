import { UploadGoneError, type AppendResult } from "../blobStore";
import { copyRanges, isMissing, type S3Api } from "./s3Api";
import {
  emptySnapshot,
  PART_BYTES,
  parseState,
  partsBytes,
  referencedKeys,
  snapshotAt,
  snapshotBytes,
  type Snapshot,
  type UploadState,
} from "./uploadState";
import type { S3UploadRecords } from "./uploadRecords";
import { releaseChunk } from "../releaseChunk";

// Upload sessions in the object store (the layout and the small-chunk rule: uploadState.ts).
// Their state (multipart upload, parts and ETags, segments) is recorded in the database
// (uploadRecords.ts), so any node sharing it and the bucket continues an upload; the bucket
// holds only the bytes, under <root><id>/. Hashing follows the bytes in UploadSessions; when
// another node or a restarted process must re-read an upload (replay), the parts sent so far
// are first completed into one object (S3 cannot read an unfinished multipart upload) which the
// next part copies server-side.

export class S3Uploads {
  constructor(
    private readonly api: S3Api,
    /** "<prefix>uploads/" */
    private readonly root: string,
    private readonly records: S3UploadRecords,
  ) {}

  private folder = (id: string) => `${this.root}${id}/`;
  private newKey = (id: string, kind: "seg" | "mp" | "whole") => `${this.folder(id)}${kind}-${crypto.randomUUID()}`;

  async load(id: string): Promise<UploadState | null> {
    return (await this.records.get(id))?.state ?? this.loadLegacy(id);
  }

  /**
   * An upload begun before the state moved into the database kept it in the bucket: read once
   * (an upload without a record is rare: one a crash left, or this), moved into the database.
   */
  private async loadLegacy(id: string): Promise<UploadState | null> {
    const key = `${this.folder(id)}state.json`;
    let state: UploadState;
    try {
      state = parseState(await this.api.client.file(key).text());
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    await this.records.put(id, state);
    await this.api.client.delete(key);
    return state;
  }

  private async loadOrThrow(id: string): Promise<UploadState> {
    const state = await this.load(id);
    if (!state) throw new UploadGoneError(id);
    return state;
  }

  /**
   * Runs `work` on the upload, which the bucket may have lost under its record (a lifecycle
   * rule aborting old multipart uploads, an operator's clean-up): then the upload is gone.
   */
  private async whileThere<T>(id: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      // A missing bucket is the deployment's problem, not this upload's.
      if (isMissing(e) && (e as { code?: string }).code !== "NoSuchBucket") throw new UploadGoneError(id);
      throw e;
    }
  }

  /** Records the state, then drops the objects the old one held that the new one does not. */
  private async save(id: string, next: UploadState, old?: UploadState): Promise<void> {
    await this.records.put(id, next);
    if (!old) return;
    const keep = referencedKeys(next);
    for (const key of referencedKeys(old)) if (!keep.has(key)) await this.api.client.delete(key);
  }

  async create(id: string): Promise<void> {
    await this.save(id, { cur: emptySnapshot() });
  }

  async size(id: string): Promise<number | null> {
    const state = await this.load(id);
    return state ? snapshotBytes(state.cur) : null;
  }

  async modifiedMs(id: string): Promise<number | null> {
    const record = await this.records.get(id);
    if (record) return record.modifiedMs;
    return (await this.loadLegacy(id)) ? ((await this.records.get(id))?.modifiedMs ?? null) : null;
  }

  /** The snapshot at `offset`, its cut segment rewritten short. */
  private async at(id: string, state: UploadState, offset: number): Promise<Snapshot> {
    const found = snapshotAt(state, offset);
    if (!found) throw new Error(`upload ${id}: offset ${offset} falls inside bytes already stored as parts`);
    const { snapshot, cut } = found;
    await this.dropCutOffParts(id, state, found.source, snapshot);
    if (cut) {
      const seg = snapshot.segments[cut.index]!;
      if (cut.keep === 0) snapshot.segments.pop();
      else {
        const key = this.newKey(id, "seg");
        await this.api.client.write(key, this.api.client.file(seg.key).slice(0, cut.keep));
        snapshot.segments[cut.index] = { key, size: cut.keep };
      }
    }
    return snapshot;
  }

  append(id: string, offset: number, body: ReadableStream<Uint8Array> | null, onChunk: (c: Uint8Array) => void): Promise<AppendResult> {
    return this.whileThere(id, () => this.appendThere(id, offset, body, onChunk));
  }

  private async appendThere(id: string, offset: number, body: ReadableStream<Uint8Array> | null, onChunk: (c: Uint8Array) => void): Promise<AppendResult> {
    // The body is read from the start while the state loads: a stream that breaks drops what
    // it still queues, and the bytes that arrived before a hang-up are the client's to keep.
    const reader = body?.getReader();
    const loading = this.loadOrThrow(id).then(async (old) => {
      const snap = await this.at(id, old, offset);
      return { old, snap, start: structuredClone(snap) };
    });
    void loading.catch(() => {}); // surfaces at its await below
    let loaded: Awaited<typeof loading> | undefined;
    let written = 0;
    let aborted = false;
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let saved: UploadState | undefined;
    const segBytes = (snap: Snapshot) => snap.segments.reduce((n, g) => n + g.size, 0);
    // One full part: the segments earlier requests left, then the bytes of this one.
    const flushPart = async (snap: Snapshot, start: Snapshot) => {
      const part = new Uint8Array(PART_BYTES);
      let fill = 0;
      for (const g of snap.segments) {
        const segment = new Uint8Array(await this.api.client.file(g.key).arrayBuffer());
        part.set(segment, fill);
        releaseChunk(segment);
        fill += g.size;
      }
      snap.segments = [];
      while (fill < PART_BYTES) {
        const c = pending[0]!;
        const take = Math.min(c.byteLength, PART_BYTES - fill);
        part.set(c.subarray(0, take), fill);
        fill += take;
        pendingBytes -= take;
        if (take === c.byteLength) {
          pending.shift();
          releaseChunk(c);
        } else pending[0] = c.subarray(take);
      }
      await this.addPart(id, snap, part);
      // S3 has the part: its 8 MiB go now, not at the next collection.
      releaseChunk(part);
      // Recorded per part once S3 holds it (its ETag known): a crash keeps what was sent (the
      // session's offset decides what counts).
      const next = { cur: snap, prev: start };
      await this.save(id, next, saved);
      saved = structuredClone(next);
    };
    while (reader) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch {
        // The client hung up or stalled: what arrived is kept (and reported).
        aborted = true;
        break;
      }
      if (chunk.done) break;
      onChunk(chunk.value);
      written += chunk.value.byteLength;
      pending.push(chunk.value);
      pendingBytes += chunk.value.byteLength;
      // Until the state is known, up to one part gathers in memory.
      if (!loaded && pendingBytes < PART_BYTES) continue;
      loaded ??= await loading;
      saved ??= loaded.old;
      while (segBytes(loaded.snap) + pendingBytes >= PART_BYTES) await flushPart(loaded.snap, loaded.start);
    }
    const { old, snap, start } = (loaded ??= await loading);
    saved ??= old;
    // Segments stay under a part: requests smaller than one gather into one here.
    while (segBytes(snap) + pendingBytes >= PART_BYTES) await flushPart(snap, start);
    if (pendingBytes > 0) {
      const key = this.newKey(id, "seg");
      await this.api.client.write(key, new Blob(pending));
      snap.segments.push({ key, size: pendingBytes });
    }
    await this.save(id, { cur: snap, prev: start }, saved);
    return { written, aborted };
  }

  /** Uploads `bytes` as the next part, opening the multipart upload (and copying the base into it) first. */
  private async addPart(id: string, snap: Snapshot, bytes: Uint8Array): Promise<void> {
    if (!snap.multipart) {
      const key = this.newKey(id, "mp");
      snap.multipart = { key, id: await this.api.createMultipart(key) };
      if (snap.base) {
        for (const [i, range] of copyRanges(snap.base.size).entries()) {
          const etag = await this.api.uploadPartCopy(key, snap.multipart.id, i + 1, snap.base.key, range);
          snap.parts.push({ n: i + 1, etag, size: range.end - range.start + 1 });
        }
        snap.base = undefined;
      }
    }
    const n = (snap.parts.at(-1)?.n ?? 0) + 1;
    snap.parts.push({ n, etag: await this.api.uploadPart(snap.multipart.key, snap.multipart.id, n, bytes), size: bytes.byteLength });
  }

  /**
   * Completes the parts into one object (the base); the snapshot then has no open multipart
   * upload. With `named` (the parts of a later snapshot of the same upload) those are completed
   * and this snapshot's bytes copied out of the front.
   */
  private async completeParts(id: string, snap: Snapshot, named = snap.parts): Promise<void> {
    if (!snap.multipart) return;
    const { key, id: uploadId } = snap.multipart;
    const size = partsBytes(snap);
    try {
      await this.api.completeMultipart(key, uploadId, named);
    } catch (e) {
      // S3 answers a lost multipart upload with 404, Ceph RGW completing one with a 500: asked.
      if (isMissing(e) || !(await this.api.multipartOpen(key, uploadId))) throw new UploadGoneError(id);
      // Parts past those named that no state recorded (a request killed between sending a part
      // and recording it): Ceph RGW completes the upload only with them (InvalidPart), and they
      // sit between this snapshot's bytes and what follows. The client starts over.
      const last = named.at(-1)?.n ?? 0;
      if ((await this.api.listParts(key, uploadId)).some((p) => p.n > last)) throw new UploadGoneError(id);
      throw e;
    }
    let base = key;
    if (named !== snap.parts) {
      base = this.newKey(id, "whole");
      await this.api.copyPrefix(key, base, size);
    }
    snap.base = { key: base, size };
    snap.parts = [];
    snap.multipart = undefined;
  }

  /**
   * `snap`, taken from the state's earlier snapshot, shares its multipart upload with the later
   * one, which holds more parts: a request cut off after its parts reached the bucket, its client
   * never told (so resuming before them). Ceph RGW completes a multipart upload only with every
   * part it holds (InvalidPart; AWS allows fewer), so all are completed (each a full part) and
   * this snapshot's bytes copied out of the front as its base.
   */
  private async dropCutOffParts(id: string, state: UploadState, source: Snapshot, snap: Snapshot): Promise<void> {
    const later = state.cur;
    if (source === later || !snap.multipart || later.multipart?.id !== snap.multipart.id || later.parts.length <= snap.parts.length) return;
    await this.completeParts(id, snap, later.parts);
    // Recorded at once (the multipart upload is no more); the completed object and the cut-off
    // request's segments go with the state this one replaces.
    await this.save(id, { cur: structuredClone(snap) }, state);
  }

  replay(id: string, length: number, onChunk: (c: Uint8Array) => void): Promise<void> {
    return this.whileThere(id, () => this.replayThere(id, length, onChunk));
  }

  private async replayThere(id: string, length: number, onChunk: (c: Uint8Array) => void): Promise<void> {
    if (length === 0) return;
    const old = await this.loadOrThrow(id);
    const found = snapshotAt(old, length);
    if (!found) throw new Error(`upload ${id}: cannot replay ${length} bytes`);
    const snap = structuredClone(found.source);
    await this.dropCutOffParts(id, old, found.source, snap);
    if (snap.multipart) {
      await this.completeParts(id, snap);
      await this.save(id, { cur: snap }, old);
    }
    let left = length;
    for (const key of [snap.base?.key, ...snap.segments.map((g) => g.key)]) {
      if (!key || left === 0) continue;
      for await (const chunk of this.api.client.file(key).stream()) {
        const c = chunk.byteLength > left ? chunk.subarray(0, left) : chunk;
        onChunk(c);
        left -= c.byteLength;
        if (left === 0) break;
      }
    }
  }

  /** Assembles the upload into one object and copies it to `target`, then drops the session unless `keep`. */
  commit(id: string, target: string, keep = false): Promise<void> {
    return this.whileThere(id, () => this.commitThere(id, target, keep));
  }

  private async commitThere(id: string, target: string, keep: boolean): Promise<void> {
    const state = await this.loadOrThrow(id);
    const snap = structuredClone(state.cur);
    const size = snapshotBytes(snap);
    let source: string;
    if (snap.segments.length > 0 && (snap.multipart || snap.base)) {
      // The tail becomes the last part (the only one S3 lets be short).
      const tail = new Uint8Array(await new Blob(await Promise.all(snap.segments.map((g) => this.api.client.file(g.key).arrayBuffer()))).arrayBuffer());
      await this.addPart(id, snap, tail);
      snap.segments = [];
    }
    if (snap.multipart) {
      await this.completeParts(id, snap);
      // Recorded, so a commit retried after a failed copy finds the completed object.
      await this.save(id, { cur: snap }, state);
      source = snap.base!.key;
    } else if (snap.base) {
      source = snap.base.key;
    } else if (snap.segments.length === 1) {
      // A blob sent in one request (docker's usual push): its one segment is the object.
      source = snap.segments[0]!.key;
    } else {
      source = this.newKey(id, "whole");
      await this.api.client.write(source, new Blob(await Promise.all(snap.segments.map((g) => this.api.client.file(g.key).arrayBuffer()))));
    }
    // A server-side copy appears whole or not at all: a reader never sees part of a blob.
    await this.api.copy(source, target, size);
    if (!keep) await this.delete(id);
  }

  async delete(id: string): Promise<void> {
    // Every open multipart upload of the session: recorded ones, and any a crashed request opened.
    for (const open of await this.api.listMultipart(this.folder(id))) await this.api.abortMultipart(open.key, open.uploadId);
    const keys: string[] = [];
    for await (const key of this.api.keys(this.folder(id))) keys.push(key);
    await Promise.all(keys.map((key) => this.api.client.delete(key)));
    // The record goes last: while it is there the upload still counts as one.
    await this.records.delete(id);
  }

  /** Recorded uploads, and folders in the bucket without a record (a crash's, or from before the records). */
  async list(): Promise<string[]> {
    const ids = new Set(await this.records.ids());
    let continuationToken: string | undefined;
    do {
      const page = await this.api.client.list({ prefix: this.root, delimiter: "/", continuationToken });
      for (const p of page.commonPrefixes ?? []) ids.add(p.prefix.slice(this.root.length, -1));
      continuationToken = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (continuationToken);
    return [...ids].sort();
  }
}
