import { and, asc, eq, lte, sql } from "drizzle-orm";
import { all, changes, one, type Runner, type Tables } from "../dialect/program";

/** A repository notification: when `event` happens, notify through `method` with `config`. */
export interface NotificationRow {
  id: number;
  uuid: string;
  repositoryId: number;
  event: string;
  method: string;
  /** The method's settings (a webhook's `url`, …), as given at creation. */
  config: Record<string, unknown>;
  /** The event's filters (Quay's `eventConfig`), as given at creation. */
  eventConfig: Record<string, unknown>;
  title: string | null;
  numberOfFailures: number;
  createdMs: number;
}

export interface NewNotification {
  repositoryId: number;
  event: string;
  method: string;
  config: Record<string, unknown>;
  eventConfig: Record<string, unknown>;
  title?: string | null;
}

/** An outbox row whose time has come, with what is needed to send it. */
export interface DueDelivery {
  id: number;
  notificationId: number;
  notificationUuid: string;
  /** Failed attempts so far. */
  attempts: number;
  /** The exact body to send (JSON text). */
  payload: string;
  method: string;
  config: Record<string, unknown>;
  /** The notification's failure count when the row was read (disabled ones are not sent). */
  numberOfFailures: number;
  /** The namespace of the notification's repository: deliveries are shared fairly between namespaces. */
  namespaceId: number;
}

/** An outbox row as stored, for inspection. */
export interface DeliveryRow {
  id: number;
  notificationId: number;
  payload: string;
  attempts: number;
  nextAttemptMs: number;
  lastError: string | null;
}

interface StoredNotification extends Omit<NotificationRow, "config" | "eventConfig"> {
  config: string;
  eventConfig: string;
}

const columns = ({ repositoryNotifications: n }: Tables) => ({
  id: n.id,
  uuid: n.uuid,
  repositoryId: n.repositoryId,
  event: n.event,
  method: n.method,
  config: n.config,
  eventConfig: n.eventConfig,
  title: n.title,
  numberOfFailures: n.numberOfFailures,
  createdMs: n.createdMs,
});

const deliveryColumns = ({ notificationDeliveries: d }: Tables) => ({
  id: d.id,
  notificationId: d.notificationId,
  payload: d.payload,
  attempts: d.attempts,
  nextAttemptMs: d.nextAttemptMs,
  lastError: d.lastError,
});

/** Stored JSON that does not parse reads as empty (as Quay does), never as an error. */
function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

function toRow(s: StoredNotification): NotificationRow {
  return { ...s, config: parseObject(s.config), eventConfig: parseObject(s.eventConfig) };
}

/** The notification `uuid` of the repository (a uuid of another repository is not found). */
function ofRepository({ repositoryNotifications: n }: Tables, repositoryId: number, uuid: string) {
  return and(eq(n.repositoryId, repositoryId), eq(n.uuid, uuid));
}

/** What the delivery worker runs at every tick, built once. */
function outboxStatements(q: Runner) {
  const p = sql.placeholder;
  return {
    byRepoEvent: q.statement(({ db, t }) => {
      const n = t.repositoryNotifications;
      return db
        .select(columns(t))
        .from(n)
        .where(and(eq(n.repositoryId, p("repo")), eq(n.event, p("event"))))
        .orderBy(asc(n.id));
    }),
    dueRows: q.statement(({ db, t }) => {
      const { notificationDeliveries: d, repositoryNotifications: n, repositories } = t;
      // Each namespace's due rows numbered oldest first; taking rank 1 of every namespace, then
      // rank 2, … interleaves namespaces, so one namespace's backlog never hides another's. The
      // window function is the same SQL on both dialects; its rank (a bigint on PostgreSQL) is
      // only compared in SQL, never read.
      const ranked = db
        .select({
          id: d.id,
          notificationId: d.notificationId,
          notificationUuid: n.uuid,
          attempts: d.attempts,
          payload: d.payload,
          method: n.method,
          config: n.config,
          numberOfFailures: n.numberOfFailures,
          namespaceId: repositories.namespaceId,
          nextAttemptMs: d.nextAttemptMs,
          rank: sql<number>`row_number() over (partition by ${repositories.namespaceId} order by ${d.nextAttemptMs}, ${d.id})`.as("rank"),
        })
        .from(d)
        .innerJoin(n, eq(n.id, d.notificationId))
        .innerJoin(repositories, eq(repositories.id, n.repositoryId))
        .where(lte(d.nextAttemptMs, p("now")))
        .as("ranked");
      return db
        .select({
          id: ranked.id,
          notificationId: ranked.notificationId,
          notificationUuid: ranked.notificationUuid,
          attempts: ranked.attempts,
          payload: ranked.payload,
          method: ranked.method,
          config: ranked.config,
          numberOfFailures: ranked.numberOfFailures,
          namespaceId: ranked.namespaceId,
        })
        .from(ranked)
        .where(lte(ranked.rank, p("perNamespace")))
        .orderBy(asc(ranked.rank), asc(ranked.nextAttemptMs), asc(ranked.id))
        .limit(p("limit"));
    }),
  };
}

/**
 * Repository notifications and their delivery outbox. A delivery row lives from the event until
 * it is sent or given up; it is deleted then, so the outbox holds only pending work and a
 * restart resumes exactly what was not yet delivered.
 */
export class NotificationStore {
  private readonly outbox: ReturnType<typeof outboxStatements>;

  constructor(private readonly q: Runner) {
    this.outbox = outboxStatements(q);
  }

  async create(input: NewNotification): Promise<NotificationRow> {
    const [stored] = await this.q.run(function* ({ db, t }) {
      return yield* all(
        db
          .insert(t.repositoryNotifications)
          .values({
            uuid: crypto.randomUUID(),
            repositoryId: input.repositoryId,
            event: input.event,
            method: input.method,
            config: JSON.stringify(input.config),
            eventConfig: JSON.stringify(input.eventConfig),
            title: input.title ?? null,
          })
          .returning(columns(t)),
      );
    });
    return toRow(stored!);
  }

  /** The repository's notifications, oldest first. */
  async listFor(repositoryId: number): Promise<NotificationRow[]> {
    const rows = await this.q.run(function* ({ db, t }) {
      const n = t.repositoryNotifications;
      return yield* all(db.select(columns(t)).from(n).where(eq(n.repositoryId, repositoryId)).orderBy(asc(n.id)));
    });
    return rows.map(toRow);
  }

  /** A notification by uuid, only within its repository (a uuid of another repository is not found). */
  async get(repositoryId: number, uuid: string): Promise<NotificationRow | undefined> {
    const s = await this.q.run(function* ({ db, t }) {
      return yield* one(db.select(columns(t)).from(t.repositoryNotifications).where(ofRepository(t, repositoryId, uuid)));
    });
    return s && toRow(s);
  }

  /** Deletes the notification and its pending deliveries; returns what was deleted. */
  async delete(repositoryId: number, uuid: string): Promise<NotificationRow | undefined> {
    const [s] = await this.q.run(function* ({ db, t }) {
      return yield* all(db.delete(t.repositoryNotifications).where(ofRepository(t, repositoryId, uuid)).returning(columns(t)));
    });
    return s && toRow(s);
  }

  /** Sets number_of_failures back to 0 (re-enabling a notification disabled by failures). */
  async resetFailures(repositoryId: number, uuid: string): Promise<NotificationRow | undefined> {
    const [s] = await this.q.run(function* ({ db, t }) {
      return yield* all(
        db.update(t.repositoryNotifications).set({ numberOfFailures: 0 }).where(ofRepository(t, repositoryId, uuid)).returning(columns(t)),
      );
    });
    return s && toRow(s);
  }

  /** The repository's notifications for one event (whatever their failure count), oldest first. */
  async forEvent(repositoryId: number, event: string): Promise<NotificationRow[]> {
    const byRepoEvent = this.outbox.byRepoEvent;
    const rows = await this.q.run(function* () {
      return yield* all(byRepoEvent, { repo: repositoryId, event });
    });
    return rows.map(toRow);
  }

  /** The notifications for one event of every repository in the namespace (namespace-wide events: quotas). */
  async forNamespaceEvent(namespaceId: number, event: string): Promise<NotificationRow[]> {
    const rows = await this.q.run(function* ({ db, t }) {
      const n = t.repositoryNotifications;
      return yield* all(
        db
          .select(columns(t))
          .from(n)
          .innerJoin(t.repositories, eq(t.repositories.id, n.repositoryId))
          .where(and(eq(t.repositories.namespaceId, namespaceId), eq(n.event, event)))
          .orderBy(asc(n.id)),
      );
    });
    return rows.map(toRow);
  }

  // ---- outbox ----

  /** Queues a delivery of `payload` for the notification, first tried at `dueMs`. Returns its id. */
  enqueue(notificationId: number, payload: string, dueMs: number): Promise<number> {
    return this.q.run(function* ({ db, t }) {
      const d = t.notificationDeliveries;
      const [row] = yield* all(db.insert(d).values({ notificationId, payload, nextAttemptMs: dueMs }).returning({ id: d.id }));
      return row!.id;
    });
  }

  /**
   * Deliveries due at `nowMs`: at most `perNamespace` per namespace (its earliest), taken in turns
   * across namespaces (each one's earliest, then each one's second, …), at most `limit` in all.
   */
  async due(nowMs: number, limit: number, perNamespace = limit): Promise<DueDelivery[]> {
    const dueRows = this.outbox.dueRows;
    const rows = await this.q.run(function* () {
      return yield* all(dueRows, { now: nowMs, limit, perNamespace });
    });
    return rows.map((r) => ({ ...r, config: parseObject(r.config) }));
  }

  /** The pending deliveries of a notification (or all of them), oldest first, for inspection and tests. */
  pending(notificationId?: number): Promise<DeliveryRow[]> {
    return this.q.run(function* ({ db, t }) {
      const d = t.notificationDeliveries;
      const which = notificationId === undefined ? undefined : eq(d.notificationId, notificationId);
      return yield* all(db.select(deliveryColumns(t)).from(d).where(which).orderBy(asc(d.id)));
    });
  }

  /** Sent: drops the row and, as Quay does after a success, clears the notification's failures. */
  async markDelivered(id: number): Promise<void> {
    await this.q.transaction(function* ({ db, t }) {
      // The delete is the guard: of two at once on PostgreSQL, the second waits for the row and then finds it gone.
      const [gone] = yield* all(db.delete(t.notificationDeliveries).where(eq(t.notificationDeliveries.id, id)).returning({ notificationId: t.notificationDeliveries.notificationId }));
      if (gone) yield* changes(db.update(t.repositoryNotifications).set({ numberOfFailures: 0 }).where(eq(t.repositoryNotifications.id, gone.notificationId)));
    });
  }

  /** One more failed attempt; the next one is due at `nextAttemptMs`. */
  async markAttemptFailed(id: number, error: string, nextAttemptMs: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      const d = t.notificationDeliveries;
      yield* changes(db.update(d).set({ attempts: sql`${d.attempts} + 1`, lastError: error, nextAttemptMs }).where(eq(d.id, id)));
    });
  }

  /** The last attempt failed: drops the row and counts one failure on the notification. */
  async giveUp(id: number): Promise<void> {
    await this.q.transaction(function* ({ db, t }) {
      const { notificationDeliveries: d, repositoryNotifications: n } = t;
      // As in markDelivered, the delete is the guard: a row given up twice at once counts once.
      const [gone] = yield* all(db.delete(d).where(eq(d.id, id)).returning({ notificationId: d.notificationId }));
      if (gone) yield* changes(db.update(n).set({ numberOfFailures: sql`${n.numberOfFailures} + 1` }).where(eq(n.id, gone.notificationId)));
    });
  }

  /** Drops a delivery without counting anything (its notification was disabled meanwhile). */
  async discard(id: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.delete(t.notificationDeliveries).where(eq(t.notificationDeliveries.id, id)));
    });
  }
}
