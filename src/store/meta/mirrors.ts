// Repository mirrors (Quay's RepoMirrorConfig and data/model/repo_mirror.py): the configuration
// API v1 writes, and the worker's claim and release of a sync. Claims and releases are
// compare-and-set on sync_transaction_id, as in Quay: two workers never run one mirror at once,
// and a cancel in between makes the running sync's release a no-op. Credentials are encrypted at
// rest (FieldCipher "mirror credential"); methods take and give plaintext.
import { randomUUID } from "node:crypto";
import { and, asc, eq, gt, isNotNull, isNull, lte, ne, or } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { FieldCipher } from "../fieldEncryption";
import { repoMirrors, repositories, robots, type MirrorStatus } from "../schema";

export type { MirrorStatus } from "../tables/mirrors";

/** Quay's MAX_SYNC_RETRIES. */
export const MAX_SYNC_RETRIES = 3;

export interface MirrorConfig {
  id: number;
  repositoryId: number;
  repository: string;
  isEnabled: boolean;
  robot: string | null;
  externalReference: string;
  /** Decrypted; "(invalid. please re-enter)" when it cannot be (another key), as Quay shows it. */
  username: string | null;
  hasPassword: boolean;
  verifyTls: boolean;
  unsignedImages: boolean;
  tagGlobs: string[];
  architectureFilter: string[];
  syncIntervalS: number;
  syncStartMs: number | null;
  syncExpirationMs: number | null;
  syncRetriesRemaining: number;
  syncStatus: MirrorStatus;
  syncTransactionId: string;
  timeoutS: number;
  lastError: string | null;
  lastSyncMs: number | null;
}

export interface NewMirror {
  repositoryId: number;
  /** null: none yet (its syncs fail until one is set). */
  robotId: number | null;
  externalReference: string;
  username: string | null;
  password: string | null;
  verifyTls: boolean;
  unsignedImages: boolean;
  tagGlobs: string[];
  syncIntervalS: number;
  syncStartMs: number;
  timeoutS: number;
  isEnabled: boolean;
  /** Quay's architecture_filter (empty: every platform). */
  architectureFilter?: string[];
}

/** What API v1's PUT may change (credentials apart: changeCredentials). */
export type MirrorChange = Partial<Pick<NewMirror, "robotId" | "externalReference" | "verifyTls" | "unsignedImages" | "tagGlobs" | "syncIntervalS" | "syncStartMs" | "timeoutS" | "isEnabled">> & {
  architectureFilter?: string[];
};

const columns = {
  id: repoMirrors.id,
  repositoryId: repoMirrors.repositoryId,
  repository: repositories.fullName,
  isEnabled: repoMirrors.isEnabled,
  robot: robots.fullName,
  externalReference: repoMirrors.externalReference,
  username: repoMirrors.username,
  password: repoMirrors.password,
  verifyTls: repoMirrors.verifyTls,
  unsignedImages: repoMirrors.unsignedImages,
  tagGlobs: repoMirrors.tagGlobs,
  architectureFilter: repoMirrors.architectureFilter,
  syncIntervalS: repoMirrors.syncIntervalS,
  syncStartMs: repoMirrors.syncStartMs,
  syncExpirationMs: repoMirrors.syncExpirationMs,
  syncRetriesRemaining: repoMirrors.syncRetriesRemaining,
  syncStatus: repoMirrors.syncStatus,
  syncTransactionId: repoMirrors.syncTransactionId,
  timeoutS: repoMirrors.timeoutS,
  lastError: repoMirrors.lastError,
  lastSyncMs: repoMirrors.lastSyncMs,
};

type Row = { [K in keyof typeof columns]: (typeof columns)[K]["_"]["data"] | null };

export class MirrorStore {
  constructor(
    private readonly db: MetaDb,
    private readonly cipher: FieldCipher,
    private readonly clock: () => number = Date.now,
  ) {}

  private seal(v: string | null): string | null {
    return v === null || v === "" ? null : this.cipher.seal(v);
  }

  private shape(r: Row): MirrorConfig {
    const username = r.username === null ? null : (this.cipher.open(r.username) ?? "(invalid. please re-enter)");
    return {
      ...(r as any),
      username,
      hasPassword: r.password !== null,
      tagGlobs: JSON.parse(r.tagGlobs as string),
      architectureFilter: JSON.parse(r.architectureFilter as string),
      password: undefined,
    };
  }

  private select() {
    return this.db.select(columns).from(repoMirrors).innerJoin(repositories, eq(repositories.id, repoMirrors.repositoryId)).leftJoin(robots, eq(robots.id, repoMirrors.robotId));
  }

  get(repositoryId: number): MirrorConfig | undefined {
    const r = this.select().where(eq(repoMirrors.repositoryId, repositoryId)).get();
    return r && this.shape(r as Row);
  }

  byId(id: number): MirrorConfig | undefined {
    const r = this.select().where(eq(repoMirrors.id, id)).get();
    return r && this.shape(r as Row);
  }

  /** The upstream credentials, decrypted for a sync; undefined when there are none (or they cannot be read). */
  credentials(id: number): { username: string; password: string } | undefined {
    const r = this.db.select({ u: repoMirrors.username, p: repoMirrors.password }).from(repoMirrors).where(eq(repoMirrors.id, id)).get();
    const username = r?.u ? this.cipher.open(r.u) : undefined;
    if (username === undefined) return undefined;
    return { username, password: (r!.p && this.cipher.open(r!.p)) ?? "" };
  }

  /** False when the repository already has a mirror. */
  create(m: NewMirror): boolean {
    const inserted = this.db
      .insert(repoMirrors)
      .values({
        ...m,
        username: this.seal(m.username),
        password: this.seal(m.password),
        tagGlobs: JSON.stringify(m.tagGlobs),
        architectureFilter: JSON.stringify(m.architectureFilter ?? []),
        syncTransactionId: randomUUID(),
      })
      .onConflictDoNothing()
      .returning({ id: repoMirrors.id })
      .get();
    return inserted !== undefined;
  }

  /** Applies the fields given; true when a row changed. */
  change(repositoryId: number, c: MirrorChange): boolean {
    const { architectureFilter, tagGlobs, ...rest } = c;
    const set: Record<string, unknown> = { ...rest };
    if (tagGlobs) set.tagGlobs = JSON.stringify(tagGlobs);
    if (architectureFilter) set.architectureFilter = JSON.stringify(architectureFilter);
    if (Object.keys(set).length === 0) return false;
    return this.db.update(repoMirrors).set(set).where(eq(repoMirrors.repositoryId, repositoryId)).returning({ id: repoMirrors.id }).all().length > 0;
  }

  /** `password` undefined keeps the stored one (a username alone); null removes it. */
  changeCredentials(repositoryId: number, username: string | null, password?: string | null): boolean {
    const set: Record<string, unknown> = { username: this.seal(username) };
    if (password !== undefined) set.password = this.seal(password);
    return this.db.update(repoMirrors).set(set).where(eq(repoMirrors.repositoryId, repositoryId)).returning({ id: repoMirrors.id }).all().length > 0;
  }

  /** Mirrors ready to run now (Quay's get_eligible_mirrors): asked for now, due, or a sync whose claim expired. */
  eligible(limit = 50): MirrorConfig[] {
    const now = this.clock();
    const m = repoMirrors;
    const rows = this.select()
      .where(
        and(
          eq(repositories.state, "MIRROR"),
          or(
            and(eq(m.syncStatus, "SYNC_NOW"), isNull(m.syncExpirationMs)),
            and(lte(m.syncStartMs, now), gt(m.syncRetriesRemaining, 0), ne(m.syncStatus, "SYNCING"), isNull(m.syncExpirationMs), eq(m.isEnabled, true)),
            and(lte(m.syncStartMs, now), gt(m.syncRetriesRemaining, 0), eq(m.syncStatus, "SYNCING"), isNotNull(m.syncExpirationMs), lte(m.syncExpirationMs, now), eq(m.isEnabled, true)),
          ),
        ),
      )
      .orderBy(asc(m.syncStartMs))
      .limit(limit)
      .all();
    return rows.map((r) => this.shape(r as Row));
  }

  /** Marks the mirror SYNCING for this worker; the claimed row, or undefined when another change came first. */
  claim(mirror: MirrorConfig): MirrorConfig | undefined {
    if (mirror.syncStatus === "CANCEL") return undefined;
    const now = this.clock();
    const expired = mirror.syncStatus === "SYNCING" && mirror.syncExpirationMs !== null && mirror.syncExpirationMs <= now;
    if (mirror.syncStatus === "SYNCING" && !expired) return undefined;
    const changed = this.db
      .update(repoMirrors)
      .set({ syncStatus: "SYNCING", syncExpirationMs: now + mirror.timeoutS * 1000, syncTransactionId: randomUUID() })
      .where(and(eq(repoMirrors.id, mirror.id), eq(repoMirrors.syncTransactionId, mirror.syncTransactionId)))
      .returning({ id: repoMirrors.id }).all().length;
    return changed ? this.byId(mirror.id) : undefined;
  }

  /**
   * Ends a claimed sync (Quay's release_mirror): a success moves the start to the next interval; a
   * failure keeps it (retried at the next pass) until the retries are spent, then moves it as a
   * success would. False when the claim was lost (a cancel came in between).
   */
  release(mirror: MirrorConfig, status: "SUCCESS" | "FAIL", lastError: string | null): boolean {
    const now = this.clock();
    let retries = mirror.syncRetriesRemaining;
    if (status === "FAIL") retries = Math.max(0, retries - 1);
    // A failure is retried after a pause that doubles with each failure (1, then 2 minutes), never
    // later than the next interval (Quay retries at its next pass); the third failure spends the
    // retries and moves the start to the next interval, as in Quay.
    let next = Math.min(now + 60_000 * 2 ** (MAX_SYNC_RETRIES - 1 - retries), now + Math.max(mirror.syncIntervalS, 1) * 1000);
    if (status === "SUCCESS" || retries < 1) {
      const intervalMs = Math.max(mirror.syncIntervalS, 1) * 1000;
      next = now + (intervalMs - (Math.max(0, now - (mirror.syncStartMs ?? now)) % intervalMs));
      retries = MAX_SYNC_RETRIES;
    }
    return (
      this.db
        .update(repoMirrors)
        .set({ syncStatus: status, syncStartMs: next, syncExpirationMs: null, syncRetriesRemaining: retries, syncTransactionId: randomUUID(), lastError, lastSyncMs: now })
        .where(and(eq(repoMirrors.id, mirror.id), eq(repoMirrors.syncTransactionId, mirror.syncTransactionId)))
        .returning({ id: repoMirrors.id }).all().length > 0
    );
  }

  /**
   * Puts a claimed sync back to run again at once (SYNC_NOW): the server stops while it runs, or
   * (`mirror` undefined) every SYNCING mirror at start, whose worker died with the last process.
   * Single node: with several, a sync another node runs is not orphaned.
   */
  requeue(mirror?: MirrorConfig): number {
    const where = mirror ? and(eq(repoMirrors.id, mirror.id), eq(repoMirrors.syncTransactionId, mirror.syncTransactionId)) : eq(repoMirrors.syncStatus, "SYNCING");
    return this.db
      .update(repoMirrors)
      .set({ syncStatus: "SYNC_NOW", syncExpirationMs: null, syncTransactionId: randomUUID() })
      .where(where)
      .returning({ id: repoMirrors.id })
      .all().length;
  }

  /** The status now (a running sync asks between steps whether it was cancelled). */
  status(id: number): { syncStatus: MirrorStatus; syncTransactionId: string } | undefined {
    return this.db.select({ syncStatus: repoMirrors.syncStatus, syncTransactionId: repoMirrors.syncTransactionId }).from(repoMirrors).where(eq(repoMirrors.id, id)).get();
  }

  /** Quay's update_sync_status_to_sync_now: not while SYNCING. */
  syncNow(repositoryId: number): boolean {
    const m = this.get(repositoryId);
    if (!m || m.syncStatus === "SYNCING") return false;
    return (
      this.db
        .update(repoMirrors)
        .set({ syncStatus: "SYNC_NOW", syncExpirationMs: null, syncRetriesRemaining: Math.max(m.syncRetriesRemaining, 1), syncTransactionId: randomUUID() })
        .where(and(eq(repoMirrors.id, m.id), eq(repoMirrors.syncTransactionId, m.syncTransactionId)))
        .returning({ id: repoMirrors.id }).all().length > 0
    );
  }

  /** Quay's update_sync_status_to_cancel: only a SYNCING or SYNC_NOW mirror; force-claims it. */
  cancel(repositoryId: number): boolean {
    const m = this.get(repositoryId);
    if (!m || (m.syncStatus !== "SYNCING" && m.syncStatus !== "SYNC_NOW")) return false;
    return (
      this.db
        .update(repoMirrors)
        .set({ syncStatus: "CANCEL", syncExpirationMs: null, syncRetriesRemaining: 0, syncTransactionId: randomUUID() })
        .where(eq(repoMirrors.id, m.id))
        .returning({ id: repoMirrors.id }).all().length > 0
    );
  }
}
