// How audit entries reach the audit log (docs/ARCHITECTURE.md, "State one process holds").
//
// Every manifest pull writes an entry, so record() only queues the row in memory; the queue goes
// to the log (AuditLogStore.insert: one transaction) when it holds `maxBatch` rows, `maxDelayMs`
// after its first row (an unref'd timer, so an idle process may still exit), on flush(), and on
// close(). A crash loses at most that window of entries, never a request. The audit log's reads
// await flush() first, so a caller sees its own writes.
//
// The sink is asynchronous (a store body: on SQLite it has written when insert returns, on
// PostgreSQL when its promise settles), so flush() and close() are too. One batch is written at
// a time: a flush while one is under way waits for it, then writes what was queued meanwhile, so
// rows reach the log in the order taken and a flush that returns has written everything taken
// before it was called.
//
// Several nodes can each keep one of these over the shared database: entries are independent
// rows, pulls fold only within a node's batch, and a node's reads see another node's entries
// within maxDelayMs.
import type { AuditLogOptions, AuditRecord, AuditRow, AuditSink, CoalescingRecord } from "./meta/auditLogTypes";
import { auditRow } from "./meta/auditLog";

/** Takes audit entries from requests and listeners; the caller never waits for the database. */
export interface AuditWriter {
  /** Takes an entry; it reaches the log soon. */
  record(entry: AuditRecord): void;
  /** Takes an entry that may fold into an equal one not written yet (see CoalescingRecord). */
  recordCoalescing(entry: CoalescingRecord): void;
  /**
   * Entries on their way: a listener still looking up who made them (on PostgreSQL a query, a
   * moment after the request answered). flush() waits for them, so a reader sees them too.
   */
  awaiting(entries: Promise<unknown>): void;
  /** Writes everything taken so far, and what `awaiting` announced. Rejects if the log refuses (nothing is lost then). */
  flush(): Promise<void>;
  /** Stops taking entries and flushes; Stores.close awaits it before the database closes. */
  close(): Promise<void>;
}

// After failed flushes the queue is kept for the next attempt, up to this many rows (the
// oldest go first): a database that stays unwritable must not eat the process's memory.
const MAX_QUEUED = 50_000;

/** The audit writer that batches in this process's memory. */
export class InProcessAuditWriter implements AuditWriter {
  private queue: AuditRow[] = [];
  /** Coalescing entries of the current queue by their identity (cleared with the queue). */
  private coalescing = new Map<string, AuditRow>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** A batch is being written; `batchWritten` settles (never rejects) when it is. */
  private writing = false;
  private batchWritten: Promise<void> = Promise.resolve();
  /** Flushes waiting for that batch (each takes the whole queue when its turn comes). */
  private waiting = 0;
  private failing = false;
  private flushes = 0;
  private written = 0;
  private dropped = 0;
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private readonly onFlushError: (err: unknown) => void;
  private readonly onTheWay = new Set<Promise<unknown>>();

  constructor(
    private readonly sink: AuditSink,
    opts: AuditLogOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 100;
    this.onFlushError = opts.onFlushError ?? rateLimitedReport();
  }

  /**
   * The hot-path form of a coalescing record: a repeated key costs a map lookup, and the record
   * (metadata object, JSON) is built only for the first of its batch.
   */
  recordCoalescing(entry: CoalescingRecord): void {
    const same = this.coalescing.get(entry.key);
    if (same && !this.closed) {
      same.count++;
      return;
    }
    this.enqueue(entry.build(), entry.key);
  }

  /** Queues an entry; it reaches the database within maxDelayMs (or sooner, in a full batch). */
  record(entry: AuditRecord): void {
    this.enqueue(entry, undefined);
  }

  private enqueue(entry: AuditRecord, coalesceKey: string | undefined): void {
    if (this.closed) throw new Error("audit log is closed");
    // Serialised now: the caller may reuse its object, and a bad value fails its own call.
    const row = auditRow(entry);
    this.queue.push(row);
    if (coalesceKey !== undefined) this.coalescing.set(coalesceKey, row);
    // After a failed flush only the timer retries: a request must not wait on a refusing database.
    // A flush already waiting for the batch under way takes these rows too.
    if (this.queue.length >= this.maxBatch && !this.failing && this.waiting === 0) this.flushOrReport();
    else this.timer ??= this.startTimer();
  }

  awaiting(entries: Promise<unknown>): void {
    this.onTheWay.add(entries);
    const done = () => this.onTheWay.delete(entries);
    void entries.then(done, done);
  }

  async flush(): Promise<void> {
    // A listener's entries still being prepared are taken first (their failure is the listener's to report).
    while (this.onTheWay.size > 0) await Promise.allSettled([...this.onTheWay]);
    this.stopTimer();
    if (this.writing) {
      this.waiting++;
      try {
        while (this.writing) await this.batchWritten;
      } finally {
        this.waiting--;
      }
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.coalescing = new Map();
    let settle!: () => void;
    this.writing = true;
    this.batchWritten = new Promise<void>((resolve) => (settle = resolve));
    try {
      // With no batch under way this runs before flush() returns its promise: on SQLite the rows are in by then.
      await this.sink.insert(batch);
    } catch (err) {
      this.requeue(batch);
      throw err;
    } finally {
      this.writing = false;
      settle();
    }
    this.failing = false;
    this.flushes++;
    this.written += batch.length;
    // Rows that filled a batch while this one was written go now rather than at the timer.
    if (this.queue.length >= this.maxBatch && this.waiting === 0 && !this.closed) this.flushOrReport();
  }

  close(): Promise<void> {
    this.closing ??= this.flushAndStop();
    return this.closing;
  }

  private async flushAndStop(): Promise<void> {
    // Closed first: an entry taken while the last batch is written would be lost.
    this.closed = true;
    try {
      await this.flush();
    } finally {
      this.stopTimer();
    }
  }

  /** Counters for tests and metrics: rows waiting, flushes done, rows written, rows given up. */
  stats(): { queued: number; flushes: number; written: number; dropped: number } {
    return { queued: this.queue.length, flushes: this.flushes, written: this.written, dropped: this.dropped };
  }

  private startTimer(): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timer = undefined;
      this.flushOrReport();
    }, this.maxDelayMs);
    timer.unref?.();
    return timer;
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A flush nobody waits for: a failure is reported and retried later with the rows kept. */
  private flushOrReport(): void {
    void this.flush().catch((err: unknown) => {
      this.failing = true;
      this.onFlushError(err);
      if (this.queue.length > 0 && !this.closed) this.timer ??= this.startTimer();
    });
  }

  private requeue(batch: AuditRow[]): void {
    const all = batch.concat(this.queue);
    const excess = all.length - MAX_QUEUED;
    if (excess > 0) this.dropped += excess;
    this.queue = excess > 0 ? all.slice(excess) : all;
  }
}

/** A refusing database fails every attempt: say so at most every 10 s, with how many failures were not shown. */
function rateLimitedReport(): (err: unknown) => void {
  let last = 0;
  let unshown = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 10_000) {
      unshown++;
      return;
    }
    console.error(`audit log: flush failed${unshown ? ` (${unshown} more failures since the last report)` : ""}`, err);
    last = now;
    unshown = 0;
  };
}
