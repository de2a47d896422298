// The boundary between Berth and where blob bytes live: a directory (fsBlobStore.ts) or an
// S3-compatible bucket (s3BlobStore.ts); both pass the same suite (test/unit/store/blobStore.suite.ts).
// Ordinary outcomes are values, not exceptions.

/** `modifiedMs`: when the bytes were last written (a commit refreshes it; the collector's grace period reads it). */
export type BlobStat = { exists: true; size: number; modifiedMs: number } | { exists: false };

export interface AppendResult {
  /** Bytes written by this call (also when the body stream broke part way). */
  written: number;
  /** Set when the body stream failed (client hung up or stalled); the bytes before it are kept and flushed to disk. */
  aborted: boolean;
}

/**
 * Thrown by an upload's append, replay or commit when the store lost the upload's bytes under
 * its record (S3 aborted its multipart upload, an object went): the session is gone.
 */
export class UploadGoneError extends Error {
  constructor(readonly id: string) {
    super(`upload ${id}: its bytes are no longer in the blob store`);
  }
}

export interface BlobStore {
  stat(digest: string): Promise<BlobStat>;
  /** The blob's bytes [start, end] (inclusive), or all of it; streamed by the Response. */
  read(digest: string, range?: { start: number; end: number }): Blob;
  /** What a Response streams for the blob (the filesystem's file goes out by sendfile). */
  body(digest: string, range?: { start: number; end: number }): Blob | ReadableStream<Uint8Array>;
  /** A URL the client may fetch the blob from directly (a presigned one), when the store is set to redirect pulls. */
  redirectUrl(digest: string): string | undefined;
  /** Every stored digest, in digest order (garbage collection and fsck walk these). */
  list(): AsyncIterable<string>;
  /**
   * Garbage collection's delete: removes the bytes unless they were written at or after
   * `writtenBeforeMs` or `isReferenced()` turns true meanwhile (a push of the same digest racing
   * the collector). Answers the bytes freed, or undefined when the blob stays (or was not there).
   */
  deleteUnreferenced(digest: string, writtenBeforeMs: number, isReferenced: () => boolean | Promise<boolean>): Promise<number | undefined>;
  /** Puts back bytes a crashed collector had set aside while still referenced; drops the rest. */
  recoverTrash(isReferenced: (digest: string) => boolean | Promise<boolean>): Promise<{ restored: number; dropped: number }>;
  /** How many blobs a crashed collector left set aside (fsck reports them). */
  trashCount(): Promise<number>;
  /** Moves a blob whose bytes do not hash to its digest out of the store, kept for inspection. */
  quarantine(digest: string): Promise<void>;

  createUpload(id: string): Promise<void>;
  /** Current size of the upload's data, or null when there is no such upload. */
  uploadSize(id: string): Promise<number | null>;
  /** When the upload's data was last written, or null when there is no such upload. */
  uploadModifiedMs(id: string): Promise<number | null>;
  /**
   * Writes the body at `offset`, dropping anything past it first (left by a crash or a broken
   * request), and hands each chunk to `onChunk` (the caller hashes while we stream). The body's
   * chunks become the store's: once written, their memory may be released (releaseChunk), so
   * `onChunk` must not keep one, and a caller whose chunks are also read elsewhere (a tee) passes
   * copies.
   */
  appendUpload(
    id: string,
    offset: number,
    body: ReadableStream<Uint8Array> | null,
    onChunk: (chunk: Uint8Array) => void,
  ): Promise<AppendResult>;
  /** Streams the first `length` bytes of the upload through `onChunk` (re-hashing after a restart). */
  replayUpload(id: string, length: number, onChunk: (chunk: Uint8Array) => void): Promise<void>;
  /**
   * Makes the upload durable and atomically puts it at its content address. With `keepUpload`,
   * an object store keeps the upload's bytes (deleteUpload drops them), so they can be committed
   * again should a collector delete the object before its row is written; a directory's rename
   * consumes them (its collector moves a file aside and puts it back, see FsBlobStore).
   */
  commitUpload(id: string, digest: string, opts?: { keepUpload?: boolean }): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  listUploads(): Promise<string[]>;
  /**
   * /health/endtoend's check: writes a small object the way an upload lands and is stored,
   * reads it back and removes it. A failure names the step and the error.
   */
  probe(): Promise<{ ok: true } | { ok: false; reason: string }>;
}
