// The audit log (Quay's LogEntry rows, reference quay-api.md §2.11).
//
// Every manifest pull writes an entry, so record() only queues the row in memory; the queue goes
// to the database in one transaction through one prepared statement when it holds `maxBatch`
// rows, `maxDelayMs` after its first row (an unref'd timer, so an idle process may still exit),
// on flush(), and on close(). A crash loses at most that window of entries, never a request.
// Reads flush first, so a caller sees its own writes.
//
// Cost: a row (table + four indexes) is ~4–6 µs of SQLite CPU on this thread, next to ~15 µs for
// a whole manifest GET. Committing on a worker thread with a second connection moved that off
// the request thread, but a second writer makes the main connection's deferred read-then-write
// transactions fail with SQLITE_BUSY ("database is locked", no busy wait) whenever the worker
// commits in between: that needs IMMEDIATE transactions everywhere or a separate audit database.
import { and, desc, eq, gte, inArray, lt, notInArray, or, sql, type SQL } from "drizzle-orm";
import type { MetaDb } from "../db";
import { logEntries } from "../schema";
import type { AuditLogOptions, AuditRecord, CoalescingRecord, LogCount, LogEntry, LogFilter, LogPage } from "./auditLogTypes";
import { decodeCursor, encodeCursor } from "./logCursor";

export type { AuditLogOptions, AuditPerformer, AuditRecord, CoalescingRecord, LogCount, LogEntry, LogFilter, LogPage } from "./auditLogTypes";

/** The queued form of a record: exactly the insert's named parameters. */
type QueuedRow = {
  kind: string;
  /** How many equal entries this row stands for (see AuditRecord.coalesce); 1 for most. */
  count: number;
  namespaceId: number | null;
  namespaceName: string | null;
  repositoryId: number | null;
  performerKind: string | null;
  performerId: number | null;
  performerName: string | null;
  ip: string | null;
  metadata: string;
  createdMs: number;
};

const DAY_MS = 86_400_000;
const MAX_PAGE = 1000;
// After failed flushes the queue is kept for the next attempt, up to this many rows (the
// oldest go first): a database that stays unwritable must not eat the process's memory.
const MAX_QUEUED = 50_000;

const ph = (name: keyof QueuedRow) => sql.placeholder(name);

/** The serialised metadata object with `count` added (a folded row stands for several entries). */
function withCount(metadata: string, count: number): string {
  return metadata === "{}" ? `{"count":${count}}` : `{"count":${count},${metadata.slice(1)}`;
}

export class AuditLogStore {
  private queue: QueuedRow[] = [];
  /** Coalescing entries of the current queue by their identity (cleared with the queue). */
  private coalescing = new Map<string, QueuedRow>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private failing = false;
  private flushes = 0;
  private written = 0;
  private dropped = 0;
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private readonly onFlushError: (err: unknown) => void;
  private readonly insertOne;

  constructor(
    private readonly db: MetaDb,
    opts: AuditLogOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 100;
    this.onFlushError = opts.onFlushError ?? rateLimitedReport();
    this.insertOne = db
      .insert(logEntries)
      .values({
        kind: ph("kind"),
        namespaceId: ph("namespaceId"),
        namespaceName: ph("namespaceName"),
        repositoryId: ph("repositoryId"),
        performerKind: ph("performerKind"),
        performerId: ph("performerId"),
        performerName: ph("performerName"),
        ip: ph("ip"),
        metadata: ph("metadata"),
        createdMs: ph("createdMs"),
      })
      .prepare();
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
    const metadata = JSON.stringify(entry.metadata);
    const row: QueuedRow = {
      kind: entry.kind,
      count: 1,
      namespaceId: entry.namespace?.id ?? null,
      namespaceName: entry.namespace?.name ?? null,
      repositoryId: entry.repositoryId ?? null,
      performerKind: entry.performer?.kind ?? null,
      performerId: entry.performer?.id ?? null,
      performerName: entry.performer?.name ?? null,
      ip: entry.ip ?? null,
      metadata,
      createdMs: entry.at ?? Date.now(),
    };
    this.queue.push(row);
    if (coalesceKey !== undefined) this.coalescing.set(coalesceKey, row);
    // After a failed flush only the timer retries: a request must not wait on a refusing database.
    if (this.queue.length >= this.maxBatch && !this.failing) this.flushOrReport();
    else this.timer ??= this.startTimer();
  }

  /** Writes everything queued, in one transaction. Throws if the database refuses (the rows stay queued). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.coalescing = new Map();
    try {
      this.db.transaction(() => {
        for (const row of batch) this.insertOne.run(row.count === 1 ? row : { ...row, metadata: withCount(row.metadata, row.count) });
      });
    } catch (err) {
      this.requeue(batch);
      throw err;
    }
    this.failing = false;
    this.flushes++;
    this.written += batch.length;
  }

  /** Flushes and stops taking entries; Stores.close calls it before the database closes. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Counters for tests and metrics: rows waiting, flushes done, rows written, rows given up. */
  stats(): { queued: number; flushes: number; written: number; dropped: number } {
    return { queued: this.queue.length, flushes: this.flushes, written: this.written, dropped: this.dropped };
  }

  /**
   * Entries matching the filter, newest first, `limit` per page. `cursor` is a `next` from an
   * earlier page; one that does not decode starts from the first page (as Quay does).
   */
  page(filter: LogFilter, cursor?: string, limit = 20): LogPage {
    this.flushIfOpen();
    const size = Math.min(Math.max(1, Math.floor(limit) || 1), MAX_PAGE);
    const after = cursor !== undefined ? decodeCursor(cursor) : undefined;
    const rows = this.db
      .select({
        id: logEntries.id,
        kind: logEntries.kind,
        namespaceName: logEntries.namespaceName,
        performerKind: logEntries.performerKind,
        performerName: logEntries.performerName,
        ip: logEntries.ip,
        metadata: logEntries.metadata,
        createdMs: logEntries.createdMs,
      })
      .from(logEntries)
      .where(
        and(
          matches(filter),
          after
            ? or(
                lt(logEntries.createdMs, after.createdMs),
                and(eq(logEntries.createdMs, after.createdMs), lt(logEntries.id, after.id)),
              )
            : undefined,
        ),
      )
      .orderBy(desc(logEntries.createdMs), desc(logEntries.id))
      .limit(size + 1)
      .all();
    const more = rows.length > size;
    const entries = (more ? rows.slice(0, size) : rows).map(
      (r): LogEntry => ({
        id: r.id,
        kind: r.kind,
        ...(r.namespaceName !== null ? { namespaceName: r.namespaceName } : {}),
        ...(r.performerName !== null
          ? { performer: { kind: r.performerKind === "robot" ? "robot" : "user", name: r.performerName } }
          : {}),
        ...(r.ip !== null ? { ip: r.ip } : {}),
        metadata: parseMetadata(r.metadata),
        createdMs: r.createdMs,
      }),
    );
    const last = entries[entries.length - 1];
    return more && last ? { entries, next: encodeCursor(last.createdMs, last.id) } : { entries };
  }

  /** Counts per kind and UTC day, oldest day first; a folded row counts as the entries it stands for. */
  aggregate(filter: LogFilter): LogCount[] {
    this.flushIfOpen();
    const day = sql<number>`(${logEntries.createdMs} / ${DAY_MS}) * ${DAY_MS}`;
    const entries = sql<number>`sum(coalesce(json_extract(${logEntries.metadata}, '$.count'), 1))`;
    return this.db
      .select({ kind: logEntries.kind, count: entries, dayMs: day })
      .from(logEntries)
      .where(matches(filter))
      .groupBy(logEntries.kind, day)
      .orderBy(day, logEntries.kind)
      .all()
      .map((r) => ({ kind: r.kind, count: Number(r.count), dayMs: Number(r.dayMs) }));
  }

  private startTimer(): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timer = undefined;
      this.flushOrReport();
    }, this.maxDelayMs);
    timer.unref?.();
    return timer;
  }

  /** A flush nobody waits for: a failure is reported and retried later with the rows kept. */
  private flushOrReport(): void {
    try {
      this.flush();
    } catch (err) {
      this.failing = true;
      this.onFlushError(err);
      if (this.queue.length > 0 && !this.closed) this.timer ??= this.startTimer();
    }
  }

  private requeue(batch: QueuedRow[]): void {
    const all = batch.concat(this.queue);
    const excess = all.length - MAX_QUEUED;
    if (excess > 0) this.dropped += excess;
    this.queue = excess > 0 ? all.slice(excess) : all;
  }

  private flushIfOpen(): void {
    if (!this.closed) this.flush();
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

function matches(f: LogFilter): SQL | undefined {
  return and(
    gte(logEntries.createdMs, f.startMs),
    lt(logEntries.createdMs, f.endMs),
    f.namespaceId !== undefined ? eq(logEntries.namespaceId, f.namespaceId) : undefined,
    f.repositoryId !== undefined ? eq(logEntries.repositoryId, f.repositoryId) : undefined,
    f.performerName !== undefined ? eq(logEntries.performerName, f.performerName) : undefined,
    // inArray with an empty list is always false: no kinds asked, nothing matches.
    f.kinds !== undefined ? (f.kinds.length ? inArray(logEntries.kind, [...f.kinds]) : sql`0 = 1`) : undefined,
    f.excludeKinds?.length ? notInArray(logEntries.kind, [...f.excludeKinds]) : undefined,
  );
}

function parseMetadata(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
