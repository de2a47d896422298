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
import { asNumber } from "../dialect/fragments";
import { all, changes, type Runner, type Tables } from "../dialect/program";
import type { AuditRecord, AuditRow, LogCount, LogEntry, LogFilter, LogPage } from "./auditLogTypes";
import { decodeCursor, encodeCursor } from "./logCursor";

export type { AuditLogOptions, AuditPerformer, AuditRecord, AuditRow, AuditSink, CoalescingRecord, LogCount, LogEntry, LogFilter, LogPage } from "./auditLogTypes";

const DAY_MS = 86_400_000;
const MAX_PAGE = 1000;

// PostgreSQL takes at most 65,535 parameters a statement: 1,000 rows of 10 columns stay well under.
const PG_ROWS_PER_INSERT = 1000;

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

/** The row as stored: a folded row's count goes into its metadata. */
function stored(row: AuditRow): Omit<AuditRow, "count"> {
  const { count, ...rest } = row;
  return count === 1 ? rest : { ...rest, metadata: withCount(row.metadata, count) };
}

export class AuditLogStore {
  private readonly insertOne;

  constructor(
    private readonly q: Runner,
    /** Runs before every read: the writer's flush, so a caller sees its own entries. */
    private readonly beforeRead: () => Promise<void> = async () => {},
  ) {
    this.insertOne = q.statement(({ db, t }) =>
      db.insert(t.logEntries).values({
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
      }),
    );
  }

  /**
   * Writes a batch in one transaction; all of it or nothing. The same rows either way, batched as
   * each dialect does best: SQLite runs one prepared statement per row (no SQL built per batch,
   * measured cheaper than one multi-row INSERT), PostgreSQL one multi-row INSERT per 1,000 rows
   * (one round trip each instead of one per row).
   */
  async insert(rows: readonly AuditRow[]): Promise<void> {
    if (!rows.length) return;
    const insertOne = this.insertOne;
    await this.q.transaction(function* ({ db, t, dialect }) {
      if (dialect === "sqlite") {
        for (const row of rows) yield* changes(insertOne, stored(row));
        return;
      }
      for (let i = 0; i < rows.length; i += PG_ROWS_PER_INSERT) {
        yield* changes(db.insert(t.logEntries).values(rows.slice(i, i + PG_ROWS_PER_INSERT).map(stored)));
      }
    });
  }

  /**
   * Entries matching the filter, newest first, `limit` per page. `cursor` is a `next` from an
   * earlier page; one that does not decode starts from the first page (as Quay does).
   */
  async page(filter: LogFilter, cursor?: string, limit = 20): Promise<LogPage> {
    await this.beforeRead();
    const size = Math.min(Math.max(1, Math.floor(limit) || 1), MAX_PAGE);
    const after = cursor !== undefined ? decodeCursor(cursor) : undefined;
    const rows = await this.q.run(function* ({ db, t }) {
      const l = t.logEntries;
      return yield* all(
        db
          .select({
            id: l.id,
            kind: l.kind,
            namespaceName: l.namespaceName,
            performerKind: l.performerKind,
            performerName: l.performerName,
            ip: l.ip,
            metadata: l.metadata,
            createdMs: l.createdMs,
          })
          .from(l)
          .where(
            and(
              matches(t, filter),
              after ? or(lt(l.createdMs, after.createdMs), and(eq(l.createdMs, after.createdMs), lt(l.id, after.id))) : undefined,
            ),
          )
          .orderBy(desc(l.createdMs), desc(l.id))
          .limit(size + 1),
      );
    });
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
    await this.beforeRead();
    return this.q.run(function* ({ db, t, sql: fragments }) {
      const l = t.logEntries;
      // Integer division truncates on both dialects (bigint on PostgreSQL); both come back as strings there.
      const day = asNumber(sql`(${l.createdMs} / ${sql.raw(String(DAY_MS))}) * ${sql.raw(String(DAY_MS))}`);
      const entries = asNumber(sql`sum(coalesce(${fragments.jsonInteger(l.metadata, "count")}, 1))`);
      return yield* all(db.select({ kind: l.kind, count: entries, dayMs: day }).from(l).where(matches(t, filter)).groupBy(l.kind, day).orderBy(day, l.kind));
    });
  }
}

function matches({ logEntries }: Tables, f: LogFilter): SQL | undefined {
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
