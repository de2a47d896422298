import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { namespaceQuotas, namespaces, namespaceUsage, quotaLimits, quotaNotices } from "../schema";

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

const quotaColumns = { id: namespaceQuotas.id, namespaceId: namespaceQuotas.namespaceId, limitBytes: namespaceQuotas.limitBytes };
const limitColumns = { id: quotaLimits.id, quotaId: quotaLimits.quotaId, type: quotaLimits.type, percent: quotaLimits.percent };

/** The quotas of these namespaces with their limits, by namespace id. */
function readQuotas(db: MetaDb, namespaceIds: number[]): Map<number, QuotaRow> {
  const out = new Map<number, QuotaRow>();
  if (!namespaceIds.length) return out;
  const rows = db.select(quotaColumns).from(namespaceQuotas).where(inArray(namespaceQuotas.namespaceId, namespaceIds)).all();
  if (!rows.length) return out;
  const byId = new Map(rows.map((q) => [q.id, { ...q, limits: [] as QuotaLimitRow[] }]));
  const limits = db.select(limitColumns).from(quotaLimits).where(inArray(quotaLimits.quotaId, [...byId.keys()])).orderBy(asc(quotaLimits.id)).all();
  for (const { quotaId, ...limit } of limits) byId.get(quotaId)!.limits.push(limit);
  for (const q of byId.values()) out.set(q.namespaceId, q);
  return out;
}

const isUniqueViolation = (e: unknown) => String((e as Error)?.message ?? e).includes("UNIQUE constraint failed");

/** A namespace with a quota: its limit and what it uses now (for /metrics). */
export interface QuotaUse {
  namespace: string;
  limitBytes: number;
  usedBytes: number;
}

/** Namespace quotas and their limits (Quay's namespacequota model), and which thresholds were notified. */
export class QuotaStore {
  // Prepared: every counted push step reads its namespace's quota.
  private readonly quotaOf;
  private readonly limitsOf;

  constructor(private readonly db: MetaDb) {
    this.quotaOf = db.select(quotaColumns).from(namespaceQuotas).where(eq(namespaceQuotas.namespaceId, sql.placeholder("ns"))).prepare();
    this.limitsOf = db.select(limitColumns).from(quotaLimits).where(eq(quotaLimits.quotaId, sql.placeholder("quota"))).orderBy(asc(quotaLimits.id)).prepare();
  }

  /** The namespace's quota, if it has one. */
  /** Every namespace that has a quota, with its use (one statement; at most a row per quota). */
  async uses(): Promise<QuotaUse[]> {
    return this.db
      .select({ namespace: namespaces.name, limitBytes: namespaceQuotas.limitBytes, usedBytes: sql<number>`COALESCE(${namespaceUsage.sizeBytes}, 0)` })
      .from(namespaceQuotas)
      .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
      .leftJoin(namespaceUsage, eq(namespaceUsage.namespaceId, namespaceQuotas.namespaceId))
      .orderBy(asc(namespaces.name))
      .all()
      .map((r) => ({ ...r, usedBytes: Number(r.usedBytes) }));
  }

  async ofNamespace(namespaceId: number): Promise<QuotaRow | undefined> {
    return this.ofNamespaceInTx(namespaceId);
  }

  /** ofNamespace inside a registry transaction (RegistryTx), whose body stays synchronous on SQLite. */
  ofNamespaceInTx(namespaceId: number): QuotaRow | undefined {
    const quota = this.quotaOf.get({ ns: namespaceId });
    return quota && { ...quota, limits: this.limitsOf.all({ quota: quota.id }).map(({ quotaId: _, ...limit }) => limit) };
  }

  /** Quotas of several namespaces at once (superuser lists). */
  async ofNamespaces(namespaceIds: number[]): Promise<Map<number, QuotaRow>> {
    return readQuotas(this.db, namespaceIds);
  }

  /** The quota `quotaId` when it belongs to the namespace. */
  async get(namespaceId: number, quotaId: number): Promise<QuotaRow | undefined> {
    const q = this.ofNamespaceInTx(namespaceId);
    return q?.id === quotaId ? q : undefined;
  }

  /** A namespace has at most one quota. */
  async create(namespaceId: number, limitBytes: number): Promise<{ kind: "created"; id: number } | { kind: "exists" }> {
    try {
      const row = this.db.insert(namespaceQuotas).values({ namespaceId, limitBytes }).returning({ id: namespaceQuotas.id }).get();
      return { kind: "created", id: row.id };
    } catch (e) {
      if (isUniqueViolation(e)) return { kind: "exists" };
      throw e;
    }
  }

  async setLimitBytes(quotaId: number, limitBytes: number): Promise<void> {
    this.db.update(namespaceQuotas).set({ limitBytes }).where(eq(namespaceQuotas.id, quotaId)).run();
  }

  /** Deletes the quota with its limits; its thresholds start afresh should a new quota come. */
  async delete(quota: QuotaRow): Promise<void> {
    this.db.transaction((tx) => {
      tx.delete(quotaNotices).where(eq(quotaNotices.namespaceId, quota.namespaceId)).run();
      tx.delete(namespaceQuotas).where(eq(namespaceQuotas.id, quota.id)).run();
    });
  }

  async addLimit(quotaId: number, type: QuotaLimitType, percent: number): Promise<{ kind: "created"; id: number } | { kind: "exists" }> {
    try {
      const row = this.db.insert(quotaLimits).values({ quotaId, type, percent }).returning({ id: quotaLimits.id }).get();
      return { kind: "created", id: row.id };
    } catch (e) {
      if (isUniqueViolation(e)) return { kind: "exists" };
      throw e;
    }
  }

  /** Changes a limit; "exists" when another limit of the quota already has that type and percent. */
  async changeLimit(limitId: number, change: { type: QuotaLimitType; percent: number }): Promise<"ok" | "exists"> {
    try {
      this.db.update(quotaLimits).set(change).where(eq(quotaLimits.id, limitId)).run();
      return "ok";
    } catch (e) {
      if (isUniqueViolation(e)) return "exists";
      throw e;
    }
  }

  /** Deletes the limit and what was notified at its threshold. */
  async deleteLimit(quota: QuotaRow, limit: QuotaLimitRow): Promise<void> {
    this.db.transaction((tx) => {
      tx.delete(quotaNotices).where(and(eq(quotaNotices.namespaceId, quota.namespaceId), eq(quotaNotices.thresholdPercent, limit.percent))).run();
      tx.delete(quotaLimits).where(eq(quotaLimits.id, limit.id)).run();
    });
  }

  // ---- which thresholds were notified (Quay's claim_notification) ----

  /**
   * Claims the right to notify the namespace's `percent` threshold: true when it was never
   * notified, was cleared since (usage went below it), or was notified before the cooldown.
   * One transaction, so two pushes crossing together notify once. `reached`: the measure is the
   * namespace's usage (not a refused push's or an upload's projection); it also marks an earlier
   * notice of the threshold as reached.
   */
  async claimNotice(namespaceId: number, percent: number, nowMs: number, cooldownMs: number, reached: boolean): Promise<boolean> {
    return this.db.transaction(
      (tx) => {
        const key = and(eq(quotaNotices.namespaceId, namespaceId), eq(quotaNotices.thresholdPercent, percent));
        const state = tx.select({ notifiedMs: quotaNotices.notifiedMs, cleared: quotaNotices.cleared, reached: quotaNotices.reached }).from(quotaNotices).where(key).get();
        if (state && !state.cleared && state.notifiedMs > nowMs - cooldownMs) {
          if (reached && !state.reached) tx.update(quotaNotices).set({ reached: true }).where(key).run();
          return false;
        }
        tx.insert(quotaNotices)
          .values({ namespaceId, thresholdPercent: percent, notifiedMs: nowMs, cleared: false, reached })
          .onConflictDoUpdate({ target: [quotaNotices.namespaceId, quotaNotices.thresholdPercent], set: { notifiedMs: nowMs, cleared: false, reached } })
          .run();
        return true;
      },
      { behavior: "immediate" },
    );
  }

  /** Gives a claim back when nothing was sent (no notification listens yet). */
  async releaseNotice(namespaceId: number, percent: number): Promise<void> {
    this.db.delete(quotaNotices).where(and(eq(quotaNotices.namespaceId, namespaceId), eq(quotaNotices.thresholdPercent, percent))).run();
  }

  /** Usage is below every threshold over `percent`: those usage had reached notify again when next reached. */
  async clearNoticesAbove(namespaceId: number, percent: number): Promise<void> {
    this.db
      .update(quotaNotices)
      .set({ cleared: true })
      .where(and(eq(quotaNotices.namespaceId, namespaceId), gt(quotaNotices.thresholdPercent, percent), eq(quotaNotices.cleared, false), eq(quotaNotices.reached, true)))
      .run();
  }

  /** The thresholds notified and not cleared, lowest first. */
  async notices(namespaceId: number): Promise<{ percent: number; reached: boolean }[]> {
    return this.db
      .select({ percent: quotaNotices.thresholdPercent, reached: quotaNotices.reached })
      .from(quotaNotices)
      .where(and(eq(quotaNotices.namespaceId, namespaceId), eq(quotaNotices.cleared, false)))
      .orderBy(asc(quotaNotices.thresholdPercent))
      .all();
  }
}
