// The audit log's public shapes (AuditLogStore in auditLog.ts and the audit writer take and
// return these). A kind
// is stored as given: which kinds exist is audit's vocabulary (src/audit/logKinds.ts), and its
// callers type what they pass with it.

export interface AuditPerformer {
  kind: "user" | "robot";
  id: number;
  name: string;
}

export interface AuditRecord {
  kind: string;
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

/**
 * A record that folds into an equal one already queued (the row then carries `count` in its
 * metadata). For pulls: a client or a fleet pulling the same manifest thousands of times a second
 * writes one row per batch window instead of one per pull. The record is built only when no equal
 * one is queued.
 */
export interface CoalescingRecord {
  /** Equal keys mean equal records (the caller guarantees it). */
  key: string;
  build(): AuditRecord;
}

/** A record in the insert's form: exactly its named parameters. */
export type AuditRow = {
  kind: string;
  /** How many equal entries this row stands for (see CoalescingRecord); 1 for most. */
  count: number;
  namespaceId: number | null;
  namespaceName: string | null;
  repositoryId: number | null;
  performerKind: string | null;
  performerId: number | null;
  performerName: string | null;
  ip: string | null;
  /** Serialised JSON. */
  metadata: string;
  createdMs: number;
};

/** Where the audit writer's batches go (the audit log's insert). */
export interface AuditSink {
  /** One transaction: all of the batch or, by rejecting, none of it. */
  insert(rows: readonly AuditRow[]): Promise<void>;
}

export interface LogFilter {
  namespaceId?: number;
  repositoryId?: number;
  performerName?: string;
  /** Only these kinds (an empty list matches nothing). */
  kinds?: readonly string[];
  /** None of these kinds (Quay's user logs leave out the service-key kinds). */
  excludeKinds?: readonly string[];
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
  /** A flush the timer started failed (the caller of flush() gets the error instead). */
  onFlushError?: (err: unknown) => void;
}
