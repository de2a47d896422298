import type { UploadState } from "./uploadState";

// Where an S3 upload's state is recorded: the metadata database (store/meta/s3Uploads.ts), so a
// chunked upload begun on one node continues on another that shares the database and bucket.
// The blob store opens without a database; it is handed this once the stores are assembled.

export interface S3UploadRecord {
  state: UploadState;
  /** When the state was last written (the sweep leaves an upload written within the last minute). */
  modifiedMs: number;
}

export interface S3UploadRecords {
  get(id: string): Promise<S3UploadRecord | undefined>;
  /** Writes the whole state (created or replaced in one statement), stamped with the time. */
  put(id: string, state: UploadState): Promise<void>;
  delete(id: string): Promise<void>;
  /** The ids of every recorded upload. */
  ids(): Promise<string[]>;
}
