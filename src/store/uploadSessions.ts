import { digestHasher, type Digest } from "../oci/digest";
import type { BlobStore } from "./blobs/blobStore";
import type { UploadRowStore } from "./meta/uploads";

// An upload session streams into an upload file while a sha256 hasher follows the bytes. The
// row's offset is the truth: every append first truncates the file back to it, so bytes from a
// crash or a refused chunk never leak into a blob. Hash state lives only in memory; after a
// restart (or for a sha512 digest) the file is re-read once to rebuild it.

export type AppendOutcome =
  | { kind: "ok"; offset: number }
  | { kind: "unknown" }
  | { kind: "busy"; offset: number }
  | { kind: "rangeMismatch"; offset: number }
  | { kind: "aborted"; offset: number };

export type FinishOutcome =
  | { kind: "ok"; size: number }
  | { kind: "unknown" }
  | { kind: "busy"; offset: number }
  | { kind: "rangeMismatch"; offset: number }
  | { kind: "aborted"; offset: number }
  | { kind: "digestMismatch"; actual: string };

/** `tooMany`: the owner already has `limit` open sessions. */
export type StartOutcome = { kind: "ok"; id: string } | { kind: "tooMany"; limit: number };

export interface StartOptions {
  /** Who opens it ("user:alice", "address:10.0.0.7"); open sessions are capped per owner. */
  owner?: string;
  /** A monolithic upload lives for one request. */
  kind?: "session" | "monolithic";
}

const MONOLITHIC_PREFIX = "mono-";

interface HashState {
  hasher: Bun.CryptoHasher;
  offset: number;
}

export class UploadSessions {
  private readonly hashes = new Map<string, HashState>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly rows: UploadRowStore,
    private readonly blobs: BlobStore,
    private readonly ttlMs: number,
    /** Open sessions one owner may hold (each can pin a connection and a file descriptor). */
    private readonly maxOpenPerOwner = Infinity,
  ) {}

  async start(repoId: number, opts: StartOptions = {}): Promise<StartOutcome> {
    // A monolithic upload cannot be resumed by its client: its id is marked so the sweep
    // drops it as soon as no request is writing to it (after a crash, at the next start).
    const id = opts.kind === "monolithic" ? `${MONOLITHIC_PREFIX}${crypto.randomUUID()}` : crypto.randomUUID();
    const now = Date.now();
    if (opts.owner === undefined) this.rows.create(id, repoId, now + this.ttlMs);
    else if (!this.rows.createWithinCap(id, repoId, now + this.ttlMs, opts.owner, this.maxOpenPerOwner, now)) {
      return { kind: "tooMany", limit: this.maxOpenPerOwner };
    }
    await this.blobs.createUpload(id);
    this.hashes.set(id, { hasher: digestHasher("sha256"), offset: 0 });
    return { kind: "ok", id };
  }

  /** The session's offset, or undefined when it does not exist in this repository. */
  async offset(repoId: number, id: string): Promise<number | undefined> {
    const row = await this.liveRow(repoId, id);
    return row?.offset;
  }

  async append(
    repoId: number,
    id: string,
    body: ReadableStream<Uint8Array> | null,
    range?: { start: number; end: number },
  ): Promise<AppendOutcome> {
    const row = await this.liveRow(repoId, id);
    if (!row) return { kind: "unknown" };
    if (this.busy.has(id)) return { kind: "busy", offset: row.offset };
    this.busy.add(id);
    try {
      return await this.appendLocked(row.id, row.offset, body, range);
    } finally {
      this.busy.delete(id);
    }
  }

  /**
   * Appends an optional last chunk, checks the digest and moves the bytes into the blob store;
   * then `record` says what the blob now belongs to (the registry links it, in its own
   * transaction), while the session is still held so no other request can reuse it.
   */
  async finish(
    repoId: number,
    id: string,
    digest: Digest,
    body: ReadableStream<Uint8Array> | null,
    range: { start: number; end: number } | undefined,
    record: (size: number) => void,
  ): Promise<FinishOutcome> {
    const row = await this.liveRow(repoId, id);
    if (!row) return { kind: "unknown" };
    if (this.busy.has(id)) return { kind: "busy", offset: row.offset };
    this.busy.add(id);
    try {
      const appended = await this.appendLocked(id, row.offset, body, range);
      if (appended.kind !== "ok") return appended;
      const size = appended.offset;
      const actual = await this.digestOf(id, size, digest.algorithm);
      if (actual !== digest.value) return { kind: "digestMismatch", actual };
      await this.blobs.commitUpload(id, digest.value);
      try {
        record(size);
      } finally {
        this.forget(id);
      }
      return { kind: "ok", size };
    } finally {
      this.busy.delete(id);
    }
  }

  /** A whole blob in one request: a session that lives only for this call (and counts as open meanwhile). */
  async putMonolithic(
    repoId: number,
    digest: Digest,
    body: ReadableStream<Uint8Array> | null,
    owner: string | undefined,
    record: (size: number) => void,
  ): Promise<FinishOutcome | Extract<StartOutcome, { kind: "tooMany" }>> {
    const started = await this.start(repoId, { kind: "monolithic", owner });
    if (started.kind !== "ok") return started;
    const id = started.id;
    const outcome = await this.finish(repoId, id, digest, body, undefined, record);
    if (outcome.kind !== "ok") {
      await this.blobs.deleteUpload(id);
      this.forget(id);
    }
    return outcome;
  }

  async cancel(repoId: number, id: string): Promise<{ kind: "ok" } | { kind: "unknown" } | { kind: "busy"; offset: number }> {
    const row = this.rows.get(id, repoId);
    if (!row) return { kind: "unknown" };
    if (this.busy.has(id)) return { kind: "busy", offset: row.offset };
    await this.blobs.deleteUpload(id);
    this.forget(id);
    return { kind: "ok" };
  }

  /** Drops expired sessions and upload files that no row owns (left by a crash). */
  async sweep(nowMs = Date.now()): Promise<number> {
    let removed = 0;
    for (const id of this.rows.expired(nowMs)) {
      if (this.busy.has(id)) continue;
      await this.blobs.deleteUpload(id);
      this.forget(id);
      removed++;
    }
    // A minute's margin covers the moment between a monolithic session's creation and its write.
    for (const id of this.rows.createdBefore(nowMs - 60_000)) {
      if (id.startsWith(MONOLITHIC_PREFIX) && !this.busy.has(id)) {
        await this.blobs.deleteUpload(id);
        this.forget(id);
        removed++;
      }
    }
    const owned = this.rows.allIds();
    for (const id of await this.blobs.listUploads()) {
      if (!owned.has(id) && !this.busy.has(id)) {
        await this.blobs.deleteUpload(id);
        removed++;
      }
    }
    return removed;
  }

  private async liveRow(repoId: number, id: string) {
    const row = this.rows.get(id, repoId);
    if (!row) return undefined;
    if (row.expiresMs < Date.now() || (await this.blobs.uploadSize(id)) === null) {
      // Expired, or its file vanished (crash before the file was made): reject cleanly.
      if (!this.busy.has(id)) {
        await this.blobs.deleteUpload(id);
        this.forget(id);
      }
      return undefined;
    }
    return row;
  }

  private async appendLocked(
    id: string,
    offset: number,
    body: ReadableStream<Uint8Array> | null,
    range?: { start: number; end: number },
  ): Promise<AppendOutcome> {
    if (range && range.start !== offset) return { kind: "rangeMismatch", offset };
    const state = await this.hashAt(id, offset);
    const res = await this.blobs.appendUpload(id, offset, body, (chunk) => state.hasher.update(chunk));
    state.offset = offset + res.written;
    const expected = range ? range.end - range.start + 1 : undefined;
    if (!res.aborted && expected !== undefined && res.written !== expected) {
      // The chunk disagrees with its Content-Range: keep the old offset, so the next append
      // truncates these bytes away.
      return { kind: "rangeMismatch", offset };
    }
    this.rows.setOffset(id, state.offset, Date.now() + this.ttlMs);
    return res.aborted ? { kind: "aborted", offset: state.offset } : { kind: "ok", offset: state.offset };
  }

  /** A sha256 hasher that has seen exactly the first `offset` bytes. */
  private async hashAt(id: string, offset: number): Promise<HashState> {
    const known = this.hashes.get(id);
    if (known && known.offset === offset) return known;
    const state: HashState = { hasher: digestHasher("sha256"), offset };
    await this.blobs.replayUpload(id, offset, (chunk) => state.hasher.update(chunk));
    this.hashes.set(id, state);
    return state;
  }

  private async digestOf(id: string, size: number, algorithm: Digest["algorithm"]): Promise<string> {
    if (algorithm === "sha256") {
      const state = await this.hashAt(id, size);
      return `sha256:${state.hasher.copy().digest("hex")}`;
    }
    const hasher = digestHasher(algorithm);
    await this.blobs.replayUpload(id, size, (chunk) => hasher.update(chunk));
    return `${algorithm}:${hasher.digest("hex")}`;
  }

  private forget(id: string): void {
    this.hashes.delete(id);
    this.rows.delete(id);
  }
}
