// The store's state that only one process can hold (docs/ARCHITECTURE.md, "State one process
// holds"). Each piece sits behind a small interface; openStores takes these single-node
// implementations unless its caller passes others: a test's double, or a multi-node deployment's
// shared ones (the list of what those would use is in the architecture document).
import type { MetaDb } from "./db";
import type { AuditSink } from "./meta/auditLogTypes";
import { InProcessReadCache, type ReadCache } from "./meta/readCache";
import { InProcessAuditWriter, type AuditWriter } from "./auditWriter";
import { InProcessUploadHashStates, InProcessUploadLocks, type UploadHashStates, type UploadLocks } from "./uploadState";

export interface StoreNodeState {
  /** Which upload sessions a request is writing to. */
  uploadLocks: UploadLocks;
  /** The sha256 states following upload sessions' bytes. */
  uploadHashes: UploadHashStates;
  /** Hot reads of the manifest GET path, cleared by writes. */
  readCache: ReadCache;
  /** How audit entries reach the log, given the log's insert. */
  auditWriter(sink: AuditSink): AuditWriter;
}

/** The pieces `given`, and for the others what one Berth node uses: this process's memory. */
export function singleNodeStoreState(db: MetaDb, given: Partial<StoreNodeState> = {}): StoreNodeState {
  return {
    uploadLocks: given.uploadLocks ?? new InProcessUploadLocks(),
    uploadHashes: given.uploadHashes ?? new InProcessUploadHashStates(),
    readCache: given.readCache ?? new InProcessReadCache(dataVersionOf(db)),
    auditWriter: given.auditWriter ?? ((sink) => new InProcessAuditWriter(sink)),
  };
}

/** SQLite's data_version: it moves when another connection (the CLI while the server runs) commits. */
function dataVersionOf(db: MetaDb): () => number {
  const statement = db.$client.prepare<{ data_version: number }, []>("PRAGMA data_version");
  return () => statement.get()!.data_version;
}
