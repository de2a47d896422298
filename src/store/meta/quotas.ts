import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { all, attempt, changes, one, oneLocked, type Program, type Runner, type Scope, type Tables } from "../dialect/program";
import { constraintViolated } from "../dialect/errors";
import { asNumber } from "../dialect/fragments";

export type QuotaLimitType = "Warning" | "Reject";

export interface QuotaLimitRow {
  id: number;
  type: QuotaLimitType;
  /** Percent of the quota's bytes at which the limit applies (1–100). */
  percent: number;
}

/** A namespace's quota with its limits (ordered by id, as Quay lists them). */
export interface QuotaRow {
  id: number;
  namespaceId: number;
  limitBytes: number;
  limits: QuotaLimitRow[];
}

const quotaColumns = (t: Tables) => ({ id: t.namespaceQuotas.id, namespaceId: t.namespaceQuotas.namespaceId, limitBytes: t.namespaceQuotas.limitBytes });
const limitColumns = (t: Tables) => ({ id: t.quotaLimits.id, quotaId: t.quotaLimits.quotaId, type: t.quotaLimits.type, percent: t.quotaLimits.percent });

/** The quotas of these namespaces with their limits, by namespace id. */
function* readQuotas({ db, t }: Scope, namespaceIds: number[]): Program<Map<number, QuotaRow>> {
  const out = new Map<number, QuotaRow>();
  if (!namespaceIds.length) return out;
  const rows = yield* all(db.select(quotaColumns(t)).from(t.namespaceQuotas).where(inArray(t.namespaceQuotas.namespaceId, namespaceIds)));
  if (!rows.length) return out;
  const byId = new Map(rows.map((q) => [q.id, { ...q, limits: [] as QuotaLimitRow[] }]));
  const limits = yield* all(db.select(limitColumns(t)).from(t.quotaLimits).where(inArray(t.quotaLimits.quotaId, [...byId.keys()])).orderBy(asc(t.quotaLimits.id)));
  for (const { quotaId, ...limit } of limits) byId.get(quotaId)!.limits.push(limit);
  for (const [, quota] of byId) out.set(quota.namespaceId, quota);
  return out;
}

/** Runs `body`; "exists" when it broke a unique constraint (a savepoint, so a transaction around it may go on). */
function* unlessExists<T>(body: (scope: Scope) => Program<T>): Program<T | "exists"> {
  try {
    return yield* attempt(body);
  } catch (e) {
    if (constraintViolated(e) === "unique") return "exists";
    throw e;
  }
}

/** A namespace with a quota: its limit and what it uses now (for /metrics). */
export interface QuotaUse {
  namespace: string;
  limitBytes: number;
  usedBytes: number;
}

/** Namespace quotas and their limits (Quay's namespacequota model), and which thresholds were notified. */
export class QuotaStore {
  // Built once: every counted push step reads its namespace's quota.
  private readonly quotaOf;
  private readonly limitsOf;

  constructor(private readonly q: Runner) {
    this.quotaOf = q.statement(({ db, t }) => db.select(quotaColumns(t)).from(t.namespaceQuotas).where(eq(t.namespaceQuotas.namespaceId, sql.placeholder("ns"))));
    this.limitsOf = q.statement(({ db, t }) =>
      db.select(limitColumns(t)).from(t.quotaLimits).where(eq(t.quotaLimits.quotaId, sql.placeholder("quota"))).orderBy(asc(t.quotaLimits.id)),
    );
  }

  /** Every namespace that has a quota, with its use (one statement; at most a row per quota). */
  async uses(): Promise<QuotaUse[]> {
    return this.q.run(function* ({ db, t }) {
      const rows = yield* all(
        db
          .select({ namespace: t.namespaces.name, limitBytes: t.namespaceQuotas.limitBytes, usedBytes: asNumber(sql`COALESCE(${t.namespaceUsage.sizeBytes}, 0)`) })
          .from(t.namespaceQuotas)
          .innerJoin(t.namespaces, eq(t.namespaces.id, t.namespaceQuotas.namespaceId))
          .leftJoin(t.namespaceUsage, eq(t.namespaceUsage.namespaceId, t.namespaceQuotas.namespaceId))
          .orderBy(asc(t.namespaces.name)),
      );
      // drizzle types a left join's expressions nullable; COALESCE makes it 0.
      return rows.map((r) => ({ ...r, usedBytes: r.usedBytes ?? 0 }));
    });
  }

  /** The namespace's quota, if it has one. */
  async ofNamespace(namespaceId: number): Promise<QuotaRow | undefined> {
    const ofNamespace = this.ofNamespaceInTx.bind(this);
    return this.q.run(() => ofNamespace(namespaceId));
  }

  /** ofNamespace as a step of a transaction's body (the registry's quota guard). */
  *ofNamespaceInTx(namespaceId: number): Program<QuotaRow | undefined> {
    const quota = yield* one(this.quotaOf, { ns: namespaceId });
    if (!quota) return undefined;
    const limits = yield* all(this.limitsOf, { quota: quota.id });
    return { ...quota, limits: limits.map(({ quotaId: _, ...limit }) => limit) };
  }

  /** Quotas of several namespaces at once (superuser lists). */
  async ofNamespaces(namespaceIds: number[]): Promise<Map<number, QuotaRow>> {
    return this.q.run((scope) => readQuotas(scope, namespaceIds));
  }

  /** The quota `quotaId` when it belongs to the namespace. */
  async get(namespaceId: number, quotaId: number): Promise<QuotaRow | undefined> {
    const q = await this.ofNamespace(namespaceId);
    return q?.id === quotaId ? q : undefined;
  }

  /** A namespace has at most one quota. */
  async create(namespaceId: number, limitBytes: number): Promise<{ kind: "created"; id: number } | { kind: "exists" }> {
    return this.q.run(function* () {
      const made = yield* unlessExists(function* ({ db, t }) {
        const [row] = yield* all(db.insert(t.namespaceQuotas).values({ namespaceId, limitBytes }).returning({ id: t.namespaceQuotas.id }));
        return row!.id;
      });
      return made === "exists" ? { kind: "exists" as const } : { kind: "created" as const, id: made };
    });
  }

  async setLimitBytes(quotaId: number, limitBytes: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.update(t.namespaceQuotas).set({ limitBytes }).where(eq(t.namespaceQuotas.id, quotaId)));
    });
  }

  /** Deletes the quota with its limits; its thresholds start afresh should a new quota come. */
  async delete(quota: QuotaRow): Promise<void> {
    await this.q.transaction(function* ({ db, t }) {
      yield* changes(db.delete(t.quotaNotices).where(eq(t.quotaNotices.namespaceId, quota.namespaceId)));
      yield* changes(db.delete(t.namespaceQuotas).where(eq(t.namespaceQuotas.id, quota.id)));
    });
  }

  async addLimit(quotaId: number, type: QuotaLimitType, percent: number): Promise<{ kind: "created"; id: number } | { kind: "exists" }> {
    return this.q.run(function* () {
      const made = yield* unlessExists(function* ({ db, t }) {
        const [row] = yield* all(db.insert(t.quotaLimits).values({ quotaId, type, percent }).returning({ id: t.quotaLimits.id }));
        return row!.id;
      });
      return made === "exists" ? { kind: "exists" as const } : { kind: "created" as const, id: made };
    });
  }

  /** Changes a limit; "exists" when another limit of the quota already has that type and percent. */
  async changeLimit(limitId: number, change: { type: QuotaLimitType; percent: number }): Promise<"ok" | "exists"> {
    return this.q.run(function* () {
      const changed = yield* unlessExists(function* ({ db, t }) {
        yield* changes(db.update(t.quotaLimits).set(change).where(eq(t.quotaLimits.id, limitId)));
        return "ok" as const;
      });
      return changed;
    });
  }

  /** Deletes the limit and what was notified at its threshold. */
  async deleteLimit(quota: QuotaRow, limit: QuotaLimitRow): Promise<void> {
    await this.q.transaction(function* ({ db, t }) {
      yield* changes(db.delete(t.quotaNotices).where(and(eq(t.quotaNotices.namespaceId, quota.namespaceId), eq(t.quotaNotices.thresholdPercent, limit.percent))));
      yield* changes(db.delete(t.quotaLimits).where(eq(t.quotaLimits.id, limit.id)));
    });
  }

  // ---- which thresholds were notified (Quay's claim_notification) ----

  /**
   * Claims the right to notify the namespace's `percent` threshold: true when it was never
   * notified, was cleared since (usage went below it), or was notified before the cooldown.
   * One transaction, so two pushes crossing together notify once: on PostgreSQL the threshold's
   * row is written first (a placeholder when new) and then read locked, so the second waits and
   * sees the first's claim.
   */
  async claimNotice(namespaceId: number, percent: number, nowMs: number, cooldownMs: number, reached: boolean): Promise<boolean> {
    return this.q.transaction(
      function* ({ db, t }) {
        const key = and(eq(t.quotaNotices.namespaceId, namespaceId), eq(t.quotaNotices.thresholdPercent, percent));
        // Never notified: a row that says so (cleared), so there is a row to lock.
        const fresh = (yield* changes(db.insert(t.quotaNotices).values({ namespaceId, thresholdPercent: percent, notifiedMs: 0, cleared: true, reached: false }).onConflictDoNothing())) > 0;
        const state = yield* oneLocked(db.select({ notifiedMs: t.quotaNotices.notifiedMs, cleared: t.quotaNotices.cleared, reached: t.quotaNotices.reached }).from(t.quotaNotices).where(key));
        if (!fresh && state && !state.cleared && state.notifiedMs > nowMs - cooldownMs) {
          if (reached && !state.reached) yield* changes(db.update(t.quotaNotices).set({ reached: true }).where(key));
          return false;
        }
        yield* changes(db.update(t.quotaNotices).set({ notifiedMs: nowMs, cleared: false, reached }).where(key));
        return true;
      },
      { immediate: true },
    );
  }

  /** Gives a claim back when nothing was sent (no notification listens yet). */
  async releaseNotice(namespaceId: number, percent: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.delete(t.quotaNotices).where(and(eq(t.quotaNotices.namespaceId, namespaceId), eq(t.quotaNotices.thresholdPercent, percent))));
    });
  }

  /** Usage is below every threshold over `percent`: those usage had reached notify again when next reached. */
  async clearNoticesAbove(namespaceId: number, percent: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(
        db
          .update(t.quotaNotices)
          .set({ cleared: true })
          .where(and(eq(t.quotaNotices.namespaceId, namespaceId), gt(t.quotaNotices.thresholdPercent, percent), eq(t.quotaNotices.cleared, false), eq(t.quotaNotices.reached, true))),
      );
    });
  }

  /** The thresholds notified and not cleared, lowest first. */
  async notices(namespaceId: number): Promise<{ percent: number; reached: boolean }[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(
        db
          .select({ percent: t.quotaNotices.thresholdPercent, reached: t.quotaNotices.reached })
          .from(t.quotaNotices)
          .where(and(eq(t.quotaNotices.namespaceId, namespaceId), eq(t.quotaNotices.cleared, false)))
          .orderBy(asc(t.quotaNotices.thresholdPercent)),
      );
    });
  }
}
