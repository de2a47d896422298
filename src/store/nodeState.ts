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

/** What one Berth node uses: everything in this process's memory. */
export function singleNodeStoreState(db: MetaDb): StoreNodeState {
  // Commits by other connections (the CLI while the server runs) move SQLite's data_version.
  const dataVersion = db.$client.prepare<{ data_version: number }, []>("PRAGMA data_version");
  return {
    uploadLocks: new InProcessUploadLocks(),
    uploadHashes: new InProcessUploadHashStates(),
    readCache: new InProcessReadCache(() => dataVersion.get()!.data_version),
    auditWriter: (sink) => new InProcessAuditWriter(sink),
  };
}
