// The audit log's writer thread (see ThreadWriter in auditWriter.ts): its own connection to the
// metadata database, one transaction per batch, in the order batches were numbered. Progress goes
// to shared memory (progressViews) so the main thread can wait for it synchronously; errors and
// dropped rows go back by message, to be reported there.
// Compiled binaries need this file as an extra entry point (build.ts).
import { Database } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { commitRows, keep, prepareInsert, progressViews, splitRows, WRITER_BROKEN, type AuditRow } from "./auditWriter";

declare const self: Worker;

/** `rows`: the batch's rows joined by newlines (joinRows). */
type Message = { open: string; progress: SharedArrayBuffer } | { seq: number; rows: string };

let db: ReturnType<typeof drizzle> | undefined;
let insert: ReturnType<typeof prepareInsert> | undefined;
let progress: Int32Array | undefined;
let committedRows: Float64Array | undefined;
// Rows whose commit failed, retried before the next batch's.
let kept: AuditRow[] = [];

self.onmessage = (e: MessageEvent<Message>) => {
  const msg = e.data;
  if ("open" in msg) {
    ({ batches: progress, rows: committedRows } = progressViews(msg.progress));
    try {
      // The same settings as openMetaDb; migrations already ran on the main connection.
      const sqlite = new Database(msg.open, { strict: true, create: false });
      sqlite.exec("PRAGMA busy_timeout = 5000");
      sqlite.exec("PRAGMA synchronous = NORMAL");
      db = drizzle(sqlite);
      insert = prepareInsert(db);
    } catch (err) {
      // The main thread sees this at its next write or settle and writes inline from then on.
      self.postMessage({ error: `audit log writer thread: ${err instanceof Error ? err.message : String(err)}` });
      Atomics.store(progress, 0, WRITER_BROKEN);
      Atomics.notify(progress, 0);
      self.onmessage = null;
    }
    return;
  }
  const batch = splitRows(msg.rows);
  const rows = kept.length ? kept.concat(batch) : batch;
  kept = [];
  try {
    if (rows.length) commitRows(db!, insert!, rows);
    committedRows![0]! += rows.length;
    Atomics.store(progress!, 1, msg.seq);
  } catch (err) {
    const dropped = keep(kept, rows);
    self.postMessage({ error: err instanceof Error ? err.message : String(err), dropped });
  }
  Atomics.store(progress!, 0, msg.seq);
  Atomics.notify(progress!, 0);
};
