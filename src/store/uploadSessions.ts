import { digestHasher, type Digest } from "../oci/digest";
import { UploadGoneError, type BlobStore } from "./blobs/blobStore";
import type { UploadRow, UploadRowStore } from "./meta/uploads";
import type { UploadHashState, UploadHashStates, UploadLocks } from "./uploadState";

// An upload session streams into an upload file while a sha256 hasher follows the bytes. The
// row's offset is the truth: every append first truncates the file back to it, so bytes from a
// crash or a refused chunk never leak into a blob. One request at a time works on a session (its
// lock), and it re-reads the row once it holds it. Hash state lives only in memory
// (uploadState.ts); after a restart, on another node, or for a sha512 digest the file is re-read
// once to rebuild it.

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

/** Records a finished upload's blob (the registry links it); answers whether a row now names the blob. */
export type Recorder = (size: number) => boolean | void | Promise<boolean | void>;

type Busy = { kind: "busy"; offset: number };
type Unknown = { kind: "unknown" };

/** What a session keeps outside its row; a multi-node deployment passes shared locks. */
export interface UploadSessionState {
  locks: UploadLocks;
  hashes: UploadHashStates;
}

export class UploadSessions {
  private readonly locks: UploadLocks;
  private readonly hashes: UploadHashStates;

  constructor(
    private readonly rows: UploadRowStore,
    private readonly blobs: BlobStore,
    state: UploadSessionState,
    private readonly ttlMs: number,
    /** Open sessions one owner may hold (each can pin a connection and a file descriptor). */
    private readonly maxOpenPerOwner = Infinity,
  ) {
    this.locks = state.locks;
    this.hashes = state.hashes;
  }

  async start(repoId: number, opts: StartOptions = {}): Promise<StartOutcome> {
    // A monolithic upload cannot be resumed by its client: its id is marked so the sweep
    // drops it as soon as no request is writing to it (after a crash, at the next start).
    const id = opts.kind === "monolithic" ? `${MONOLITHIC_PREFIX}${crypto.randomUUID()}` : crypto.randomUUID();
    const now = Date.now();
    if (opts.owner === undefined) await this.rows.create(id, repoId, now + this.ttlMs);
    else if (!(await this.rows.createWithinCap(id, repoId, now + this.ttlMs, opts.owner, this.maxOpenPerOwner, now))) {
      return { kind: "tooMany", limit: this.maxOpenPerOwner };
    }
    // The row comes first, then the file: the sweep relies on this order (see sweep()).
    await this.blobs.createUpload(id);
    this.hashes.put(id, { hasher: digestHasher("sha256"), offset: 0 });
    return { kind: "ok", id };
  }

  /** The session's offset, or undefined when it does not exist in this repository. */
  async offset(repoId: number, id: string): Promise<number | undefined> {
    const row = await this.liveRow(repoId, id, false);
    return row?.offset;
  }

  async append(
    repoId: number,
    id: string,
    body: ReadableStream<Uint8Array> | null,
    range?: { start: number; end: number },
  ): Promise<AppendOutcome> {
    return this.holding(repoId, id, (row) => this.appendHeld(row.id, row.offset, body, range));
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
    record: Recorder,
  ): Promise<FinishOutcome> {
    return this.holding(repoId, id, (row) => this.finishHeld(row, digest, body, range, record));
  }

  /** A whole blob in one request: a session that lives only for this call (and counts as open meanwhile). */
  async putMonolithic(
    repoId: number,
    digest: Digest,
    body: ReadableStream<Uint8Array> | null,
    owner: string | undefined,
    record: Recorder,
  ): Promise<FinishOutcome | Extract<StartOutcome, { kind: "tooMany" }>> {
    const started = await this.start(repoId, { kind: "monolithic", owner });
    if (started.kind !== "ok") return started;
    return this.holding(repoId, started.id, async (row) => {
      const outcome = await this.finishHeld(row, digest, body, undefined, record);
      if (outcome.kind !== "ok") await this.drop(row.id);
      return outcome;
    });
  }

  async cancel(repoId: number, id: string): Promise<{ kind: "ok" } | Unknown | Busy> {
    return this.holding(repoId, id, async (row) => {
      await this.drop(row.id);
      return { kind: "ok" as const };
    });
  }

  /**
   * Drops expired sessions, abandoned monolithic uploads, upload files no session owns (left by
   * a crash, or by a repository deleted with its sessions) and sessions whose file is gone.
   * Answers how many went and the bytes their files held.
   *
   * `berth gc` sweeps beside a running server, which alone knows which uploads are being
   * written: a file written within the last minute is never dropped (a body streaming in
   * refreshes its mtime), whichever process sweeps.
   */
  async sweep(nowMs = Date.now()): Promise<{ removed: number; bytes: number }> {
    let removed = 0;
    let bytes = 0;
    const quietSince = nowMs - 60_000;
    // A session some request holds, or whose file was written within the last minute (a push
    // writing it: berth gc may run beside the server), is left alone.
    const dropIfIdle = async (id: string): Promise<void> => {
      if (!(await this.locks.tryLock(id))) return;
      try {
        const written = await this.blobs.uploadModifiedMs(id);
        if (written !== null && written >= quietSince) return;
        bytes += (await this.blobs.uploadSize(id)) ?? 0;
        await this.drop(id);
        removed++;
      } finally {
        await this.locks.unlock(id);
      }
    };
    for (const id of await this.rows.expired(nowMs)) await dropIfIdle(id);
    // A minute's margin also covers the moment between a session's row and its file.
    for (const id of await this.rows.createdBefore(quietSince)) {
      if (id.startsWith(MONOLITHIC_PREFIX) || (await this.blobs.uploadSize(id)) === null) await dropIfIdle(id);
    }
    for (const id of await this.blobs.listUploads()) {
      // Asked per file, just before deleting it: a session started after the listing has its
      // row before its file, so a file without a row belongs to no session.
      if (!(await this.rows.exists(id))) await dropIfIdle(id);
    }
    return { removed, bytes };
  }


  /**
   * Runs `work` while holding the session: busy if another request holds it, unknown if it does
   * not exist (any longer) in this repository, or the blob store lost its bytes (then it is
   * dropped). The row is read once the session is held.
   */
  private async holding<T>(repoId: number, id: string, work: (row: UploadRow) => Promise<T>): Promise<T | Unknown | Busy> {
    if (!(await this.locks.tryLock(id))) {
      const row = await this.liveRow(repoId, id, false);
      return row ? { kind: "busy", offset: row.offset } : { kind: "unknown" };
    }
    try {
      const row = await this.liveRow(repoId, id, true);
      return row ? await work(row) : { kind: "unknown" };
    } catch (e) {
      if (!(e instanceof UploadGoneError)) throw e;
      await this.drop(id);
      return { kind: "unknown" };
    } finally {
      await this.locks.unlock(id);
    }
  }

  /** `held`: the caller holds the session, so a dead one may be cleaned up on the way. */
  private async liveRow(repoId: number, id: string, held: boolean): Promise<UploadRow | undefined> {
    const row = await this.rows.get(id, repoId);
    if (!row) return undefined;
    if (row.expiresMs < Date.now() || (await this.blobs.uploadSize(id)) === null) {
      // Expired, or its file vanished (crash before the file was made): reject cleanly.
      if (held) await this.drop(id);
      return undefined;
    }
    return row;
  }

  private async finishHeld(
    row: UploadRow,
    digest: Digest,
    body: ReadableStream<Uint8Array> | null,
    range: { start: number; end: number } | undefined,
    record: Recorder,
  ): Promise<FinishOutcome> {
    const id = row.id;
    const appended = await this.appendHeld(id, row.offset, body, range);
    if (appended.kind !== "ok") return appended;
    const size = appended.offset;
    const actual = await this.digestOf(id, size, digest.algorithm);
    if (actual !== digest.value) return { kind: "digestMismatch", actual };
    // The upload's bytes stay until the blob's row is committed: a collector on another node may
    // delete the blob's object between this commit and that row (collector.ts, PROTOCOL 6).
    await this.blobs.commitUpload(id, digest.value, { keepUpload: true });
    try {
      // Once the row is committed no deletion of the bytes can start, and none is under way (the
      // row waited for it): what is there now stays. One that ran meanwhile may have taken them.
      if ((await record(size)) === true && !(await this.blobs.stat(digest.value)).exists) await this.blobs.commitUpload(id, digest.value, { keepUpload: true });
    } finally {
      await this.drop(id);
    }
    return { kind: "ok", size };
  }

  private async appendHeld(
    id: string,
    offset: number,
    body: ReadableStream<Uint8Array> | null,
    range?: { start: number; end: number },
  ): Promise<AppendOutcome> {
    if (range && range.start !== offset) return { kind: "rangeMismatch", offset };
    // Taken out while the bytes stream: if the append fails half-way, or its bytes are refused,
    // the state (which has seen them) is not kept, and the next append re-reads the file.
    const state = await this.hashAt(id, offset);
    const res = await this.blobs.appendUpload(id, offset, body, (chunk) => state.hasher.update(chunk));
    const end = offset + res.written;
    const expected = range ? range.end - range.start + 1 : undefined;
    if (!res.aborted && expected !== undefined && res.written !== expected) {
      // The chunk disagrees with its Content-Range: keep the old offset, so the next append
      // truncates these bytes away.
      return { kind: "rangeMismatch", offset };
    }
    await this.rows.setOffset(id, end, Date.now() + this.ttlMs);
    state.offset = end;
    this.hashes.put(id, state);
    return res.aborted ? { kind: "aborted", offset: end } : { kind: "ok", offset: end };
  }

  /** A sha256 hasher that has seen exactly the first `offset` bytes (taken out of `hashes`). */
  private async hashAt(id: string, offset: number): Promise<UploadHashState> {
    const known = this.hashes.take(id, offset);
    if (known) return known;
    const state: UploadHashState = { hasher: digestHasher("sha256"), offset };
    await this.blobs.replayUpload(id, offset, (chunk) => state.hasher.update(chunk));
    return state;
  }

  private async digestOf(id: string, size: number, algorithm: Digest["algorithm"]): Promise<string> {
    if (algorithm === "sha256") {
      const state = await this.hashAt(id, size);
      const value = `sha256:${state.hasher.copy().digest("hex")}`;
      // Still the state of the whole file: a wrong digest keeps the session, and its state.
      this.hashes.put(id, state);
      return value;
    }
    const hasher = digestHasher(algorithm);
    await this.blobs.replayUpload(id, size, (chunk) => hasher.update(chunk));
    return `${algorithm}:${hasher.digest("hex")}`;
  }

  /** Drops the session (file, row and hash state); the caller holds it. */
  private async drop(id: string): Promise<void> {
    await this.blobs.deleteUpload(id);
    await this.forget(id);
  }

  private async forget(id: string): Promise<void> {
    this.hashes.delete(id);
    await this.rows.delete(id);
  }
}
