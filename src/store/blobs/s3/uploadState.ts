// An upload in the object store, as recorded in the database (uploadRecords.ts; before, in a
// state object uploads/<id>/state.json in the bucket, still read once for an upload begun then).
//
// S3 refuses a multipart upload whose parts (but the last) are under 5 MiB, and only says so at
// completion; a docker client may PATCH in chunks of any size. So, as Distribution's s3 driver
// keeps a pending buffer, bytes go to a multipart part only once PART_BYTES have gathered;
// what is left at the end of a request is written as a small "segment" object, and the next
// request that fills a part reads those segments back into it. Every part but the last is
// PART_BYTES, and a request never holds more than one part in memory.
//
// A state write replaces the whole record (one statement), so another node or a restarted one
// reads a consistent upload: the S3 upload id, the parts with their ETags, the segments.
// `prev` is the upload as it was when the last request began: the session's recorded offset is
// either the current size or, after a crash or a refused chunk, that earlier one.

export const PART_BYTES = 8 * 1024 * 1024;

export interface Snapshot {
  /** The S3 multipart upload holding the parts (created with the first part), and its key. */
  multipart?: { key: string; id: string };
  parts: { n: number; etag: string; size: number }[];
  /** A completed object holding the bytes before the parts (left by a replay; see s3Uploads.ts). */
  base?: { key: string; size: number };
  segments: { key: string; size: number }[];
}

export interface UploadState {
  cur: Snapshot;
  prev?: Snapshot;
}

export const emptySnapshot = (): Snapshot => ({ parts: [], segments: [] });

export const partsBytes = (s: Snapshot): number => (s.base?.size ?? 0) + s.parts.reduce((n, p) => n + p.size, 0);
export const snapshotBytes = (s: Snapshot): number => partsBytes(s) + s.segments.reduce((n, g) => n + g.size, 0);

/**
 * The snapshot holding exactly `offset` bytes, and the segment to shorten when the offset falls
 * inside the segments (bytes a refused or crashed request left). Undefined when the offset falls
 * inside bytes already sent as parts, which no recorded offset can do.
 */
export function snapshotAt(
  state: UploadState,
  offset: number,
): { snapshot: Snapshot; source: Snapshot; cut?: { index: number; keep: number } } | undefined {
  for (const s of [state.cur, state.prev]) {
    if (s && snapshotBytes(s) === offset) return { snapshot: structuredClone(s), source: s };
  }
  for (const s of [state.cur, state.prev]) {
    if (!s) continue;
    let at = partsBytes(s);
    if (offset < at || offset > snapshotBytes(s)) continue;
    const snapshot = structuredClone(s);
    for (const [index, g] of snapshot.segments.entries()) {
      if (offset < at + g.size) {
        snapshot.segments = snapshot.segments.slice(0, index + 1);
        return { snapshot, source: s, cut: { index, keep: offset - at } };
      }
      at += g.size;
    }
  }
  return undefined;
}

/** Objects a state refers to (everything else under the upload's folder may go). */
export function referencedKeys(state: UploadState): Set<string> {
  const keys = new Set<string>();
  for (const s of [state.cur, state.prev]) {
    if (!s) continue;
    if (s.base) keys.add(s.base.key);
    if (s.multipart) keys.add(s.multipart.key);
    for (const g of s.segments) keys.add(g.key);
  }
  return keys;
}

export function parseState(text: string): UploadState {
  const state = JSON.parse(text) as UploadState;
  if (!state?.cur || !Array.isArray(state.cur.parts) || !Array.isArray(state.cur.segments)) throw new Error("not an upload state");
  return state;
}
