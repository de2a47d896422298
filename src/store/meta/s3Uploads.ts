// The state of uploads into an S3 bucket (blobs/s3/uploadRecords.ts), one row per upload: its
// multipart upload, parts and ETags, as JSON. A row is written after S3 accepted what it
// names, and the upload's locks (uploadState.ts) keep two writers of one row apart.
import { asc, eq } from "drizzle-orm";
import { all, changes, one, type Runner } from "../dialect/program";
import type { S3UploadRecord, S3UploadRecords } from "../blobs/s3/uploadRecords";
import { parseState, type UploadState } from "../blobs/s3/uploadState";

export class S3UploadRecordStore implements S3UploadRecords {
  constructor(
    private readonly q: Runner,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(id: string): Promise<S3UploadRecord | undefined> {
    const row = await this.q.run(function* ({ db, t }) {
      return yield* one(db.select({ state: t.s3Uploads.state, modifiedMs: t.s3Uploads.modifiedMs }).from(t.s3Uploads).where(eq(t.s3Uploads.id, id)));
    });
    return row && { state: parseState(row.state), modifiedMs: row.modifiedMs };
  }

  async put(id: string, state: UploadState): Promise<void> {
    const text = JSON.stringify(state);
    const modifiedMs = this.clock();
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.insert(t.s3Uploads).values({ id, state: text, modifiedMs }).onConflictDoUpdate({ target: t.s3Uploads.id, set: { state: text, modifiedMs } }));
    });
  }

  async delete(id: string): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.delete(t.s3Uploads).where(eq(t.s3Uploads.id, id)));
    });
  }

  ids(): Promise<string[]> {
    return this.q.run(function* ({ db, t }) {
      return (yield* all(db.select({ id: t.s3Uploads.id }).from(t.s3Uploads).orderBy(asc(t.s3Uploads.id)))).map((r) => r.id);
    });
  }
}
