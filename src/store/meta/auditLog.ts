// The audit log (Quay's LogEntry rows, reference quay-api.md §2.11): its SQL. Entries arrive in
// batches from the audit writer (src/store/auditWriter.ts), which queues them in memory; reads
// first ask it to write what it holds (`beforeRead`), so a caller sees its own writes.
//
// Cost: a row (table + four indexes) is ~4–6 µs of SQLite CPU on this thread, next to ~15 µs for
// a whole manifest GET. Committing on a worker thread with a second connection moved that off
// the request thread, but a second writer makes the main connection's deferred read-then-write
// transactions fail with SQLITE_BUSY ("database is locked", no busy wait) whenever the worker
// commits in between: that needs IMMEDIATE transactions everywhere or a separate audit database.
import { and, desc, eq, gte, inArray, lt, notInArray, or, sql, type SQL } from "drizzle-orm";
import type { MetaDb } from "../db";
import { logEntries } from "../schema";
import type { AuditRecord, AuditRow, LogCount, LogEntry, LogFilter, LogPage } from "./auditLogTypes";
import { decodeCursor, encodeCursor } from "./logCursor";

export type { AuditLogOptions, AuditPerformer, AuditRecord, AuditRow, AuditSink, CoalescingRecord, LogCount, LogEntry, LogFilter, LogPage } from "./auditLogTypes";

const DAY_MS = 86_400_000;
const MAX_PAGE = 1000;

const ph = (name: keyof AuditRow) => sql.placeholder(name);

/** A record as the insert takes it; its metadata is serialised now, so a bad value fails its own call. */
export function auditRow(entry: AuditRecord): AuditRow {
  return {
    kind: entry.kind,
    count: 1,
    namespaceId: entry.namespace?.id ?? null,
    namespaceName: entry.namespace?.name ?? null,
    repositoryId: entry.repositoryId ?? null,
    performerKind: entry.performer?.kind ?? null,
    performerId: entry.performer?.id ?? null,
    performerName: entry.performer?.name ?? null,
    ip: entry.ip ?? null,
    metadata: JSON.stringify(entry.metadata),
    createdMs: entry.at ?? Date.now(),
  };
}

/** The serialised metadata object with `count` added (a folded row stands for several entries). */
function withCount(metadata: string, count: number): string {
  return metadata === "{}" ? `{"count":${count}}` : `{"count":${count},${metadata.slice(1)}`;
}

export class AuditLogStore {
  private readonly insertOne;

  constructor(
    private readonly db: MetaDb,
    /** Runs before every read: the writer's flush, so a caller sees its own entries. */
    private readonly beforeRead: () => void = () => {},
  ) {
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

  /** Writes a batch in one transaction through one prepared statement; all of it or nothing. */
  insert(rows: readonly AuditRow[]): void {
    this.db.transaction(() => {
      for (const row of rows) this.insertOne.run(row.count === 1 ? row : { ...row, metadata: withCount(row.metadata, row.count) });
    });
  }

  /**
   * Entries matching the filter, newest first, `limit` per page. `cursor` is a `next` from an
   * earlier page; one that does not decode starts from the first page (as Quay does).
   */
  async page(filter: LogFilter, cursor?: string, limit = 20): Promise<LogPage> {
    this.beforeRead();
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
  async aggregate(filter: LogFilter): Promise<LogCount[]> {
    this.beforeRead();
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
