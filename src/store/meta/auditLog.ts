// The audit log (Quay's LogEntry rows, reference quay-api.md §2.11).
//
// Every manifest pull writes an entry, so writes must cost the request next to nothing: record()
// only queues the row in memory; the queue is handed to a writer (auditWriter.ts: a worker thread
// that commits each batch in one transaction through one prepared statement) when it holds
// `maxBatch` rows, `maxDelayMs` after its first row (an unref'd timer, so an idle process may
// still exit), on flush(), and on close(). A crash loses at most that window of entries, never a
// request. Reads flush and wait for the writer first, so a caller sees its own writes.
import { and, count, desc, eq, gte, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { LogKind } from "../../audit/logKinds";
import type { MetaDb } from "../db";
import { logEntries } from "../schema";
import { encodeRow, InlineWriter, ThreadWriter, type AuditRow, type AuditWriter } from "./auditWriter";

export interface AuditPerformer {
  kind: "user" | "robot";
  id: number;
  name: string;
}

export interface AuditRecord {
  kind: LogKind;
  namespace?: { id: number; name: string };
  repositoryId?: number;
  /** Who acted; absent for anonymous callers and the system. */
  performer?: AuditPerformer;
  ip?: string;
  /** The kind's details (repo, tag, manifest_digest, username, …), stored as JSON. */
  metadata: Record<string, unknown>;
  /** When it happened (ms since the epoch); defaults to the moment record() is called. */
  at?: number;
}

export interface LogFilter {
  namespaceId?: number;
  repositoryId?: number;
  performerName?: string;
  /** Only these kinds (an empty list matches nothing). */
  kinds?: readonly LogKind[];
  /** Window [startMs, endMs): start inclusive, end exclusive. */
  startMs: number;
  endMs: number;
}

export interface LogEntry {
  id: number;
  kind: string;
  namespaceName?: string;
  performer?: { kind: "user" | "robot"; name: string };
  ip?: string;
  metadata: Record<string, unknown>;
  createdMs: number;
}

export interface LogPage {
  entries: LogEntry[];
  /** Opaque cursor of the next page; present only when more entries exist. */
  next?: string;
}

export interface LogCount {
  kind: string;
  count: number;
  /** Start of the UTC day (ms since the epoch). */
  dayMs: number;
}

export interface AuditLogOptions {
  maxBatch?: number;
  maxDelayMs?: number;
  /** Rows could not be committed (they are kept and retried); flush() also throws. */
  onFlushError?: (err: unknown) => void;
  /** "thread" (the default for database files) or "inline" (on this connection, in this thread). */
  writer?: "thread" | "inline";
}

const DAY_MS = 86_400_000;
const MAX_PAGE = 1000;

export class AuditLogStore {
  private queue: AuditRow[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private flushes = 0;
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private readonly writer: AuditWriter;

  constructor(
    private readonly db: MetaDb,
    opts: AuditLogOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 100;
    const onError = opts.onFlushError ?? rateLimitedReport();
    const file = db.$client.filename;
    const threaded = (opts.writer ?? "thread") === "thread" && file !== "" && file !== ":memory:";
    this.writer = threaded ? new ThreadWriter(file, db, onError) : new InlineWriter(db, onError);
  }

  /** Queues an entry; it reaches the database within maxDelayMs (or sooner, in a full batch). */
  record(entry: AuditRecord): void {
    if (this.closed) throw new Error("audit log is closed");
    // Serialised now (see AuditRow): the caller may reuse its objects, and a bad value fails its own call.
    this.queue.push(
      encodeRow(
        [
          entry.kind,
          entry.namespace?.id ?? null,
          entry.namespace?.name ?? null,
          entry.repositoryId ?? null,
          entry.performer?.kind ?? null,
          entry.performer?.id ?? null,
          entry.performer?.name ?? null,
          entry.ip ?? null,
          entry.at ?? Date.now(),
        ],
        entry.metadata,
      ),
    );
    if (this.queue.length >= this.maxBatch) this.handOver();
    else this.timer ??= this.startTimer();
  }

  /**
   * Writes everything queued and waits until it is committed. Throws if the database refuses;
   * the rows are kept and retried with the next batch. Not inside a transaction of this
   * connection (nor are page/aggregate): the writer thread would wait for its lock.
   */
  flush(): void {
    this.handOver();
    this.writer.settle();
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
      this.writer.close();
    }
  }

  /** Counters for tests and metrics: rows queued here, batches handed over, rows committed, rows given up. */
  stats(): { queued: number; flushes: number; written: number; dropped: number } {
    return { queued: this.queue.length, flushes: this.flushes, ...this.writer.counts };
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

  /** Counts per kind and UTC day, oldest day first. */
  aggregate(filter: LogFilter): LogCount[] {
    this.flushIfOpen();
    const day = sql<number>`(${logEntries.createdMs} / ${DAY_MS}) * ${DAY_MS}`;
    return this.db
      .select({ kind: logEntries.kind, count: count(), dayMs: day })
      .from(logEntries)
      .where(matches(filter))
      .groupBy(logEntries.kind, day)
      .orderBy(day, logEntries.kind)
      .all()
      .map((r) => ({ kind: r.kind, count: Number(r.count), dayMs: Number(r.dayMs) }));
  }

  /** Gives the queue to the writer without waiting for the commit (the request path). */
  private handOver(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushes++;
    this.writer.write(batch);
  }

  private startTimer(): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timer = undefined;
      this.handOver();
    }, this.maxDelayMs);
    timer.unref?.();
    return timer;
  }

  private flushIfOpen(): void {
    if (!this.closed) this.flush();
  }
}

/** A refusing database fails every batch: say so at most every 10 s, with how many failures were not shown. */
function rateLimitedReport(): (err: unknown) => void {
  let last = 0;
  let unshown = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 10_000) {
      unshown++;
      return;
    }
    console.error(`audit log: write failed${unshown ? ` (${unshown} more failures since the last report)` : ""}`, err);
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

// The cursor is the last entry's position in the (created_ms desc, id desc) order: keyset
// pagination, so entries written meanwhile neither repeat nor shift later pages.
function encodeCursor(createdMs: number, id: number): string {
  return Buffer.from(`${createdMs}.${id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdMs: number; id: number } | undefined {
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!m) return undefined;
  const createdMs = Number(m[1]);
  const id = Number(m[2]);
  return Number.isSafeInteger(createdMs) && Number.isSafeInteger(id) ? { createdMs, id } : undefined;
}
