// Repository mirrors (Quay's RepoMirrorConfig and data/model/repo_mirror.py): the configuration
// API v1 writes, and the worker's claim and release of a sync. Claims and releases are
// compare-and-set on sync_transaction_id, as in Quay: two workers never run one mirror at once,
// and a cancel in between makes the running sync's release a no-op. Credentials are encrypted at
// rest (FieldCipher "mirror credential"); methods take and give plaintext.
import { randomUUID } from "node:crypto";
import { and, asc, eq, gt, isNotNull, isNull, lte, ne, or, type SQL } from "drizzle-orm";
import type { FieldCipher } from "../fieldEncryption";
import { all, oneLocked, one, type Program, type Runner, type Scope } from "../dialect/program";
import { mirrorConfig, selectMirrors, type MirrorChange, type MirrorConfig, type MirrorRow, type MirrorStatus, type NewMirror } from "./mirrorRows";

export type { MirrorChange, MirrorConfig, MirrorStatus, NewMirror } from "./mirrorRows";

/** Quay's MAX_SYNC_RETRIES. */
export const MAX_SYNC_RETRIES = 3;

/** The mirror rows `where` picks (a function of the tables), or the first of them. */
function* rows({ db, t }: Scope, where: (m: Scope["t"]["repoMirrors"]) => SQL | undefined): Program<MirrorRow[]> {
  return (yield* all(selectMirrors(db, t).where(where(t.repoMirrors)))) as MirrorRow[];
}

/** Sets `set` on the mirror `where` picks; true when a row changed. */
function* update({ db, t }: Scope, set: Record<string, unknown>, where: SQL | undefined): Program<number> {
  return (yield* all(db.update(t.repoMirrors).set(set).where(where).returning({ id: t.repoMirrors.id }))).length;
}

/** A claim's compare-and-set: this mirror, as long as nobody claimed or released it since it was read. */
const unchanged = (m: Scope["t"]["repoMirrors"], mirror: MirrorConfig) => and(eq(m.id, mirror.id), eq(m.syncTransactionId, mirror.syncTransactionId));

export class MirrorStore {
  constructor(
    private readonly q: Runner,
    private readonly cipher: FieldCipher,
    private readonly clock: () => number = Date.now,
  ) {}

  private seal(v: string | null): string | null {
    return v === null || v === "" ? null : this.cipher.seal(v);
  }

  private async first(where: (m: Scope["t"]["repoMirrors"]) => SQL | undefined): Promise<MirrorConfig | undefined> {
    const [r] = await this.q.run((scope) => rows(scope, where));
    return r && mirrorConfig(this.cipher, r);
  }

  get(repositoryId: number): Promise<MirrorConfig | undefined> {
    return this.first((m) => eq(m.repositoryId, repositoryId));
  }

  byId(id: number): Promise<MirrorConfig | undefined> {
    return this.first((m) => eq(m.id, id));
  }

  /** The upstream credentials, decrypted for a sync; undefined when there are none (or they cannot be read). */
  async credentials(id: number): Promise<{ username: string; password: string } | undefined> {
    const r = await this.q.run(function* ({ db, t }) {
      return yield* one(db.select({ u: t.repoMirrors.username, p: t.repoMirrors.password }).from(t.repoMirrors).where(eq(t.repoMirrors.id, id)));
    });
    const username = r?.u ? this.cipher.open(r.u) : undefined;
    if (username === undefined) return undefined;
    return { username, password: (r!.p && this.cipher.open(r!.p)) ?? "" };
  }

  /** False when the repository already has a mirror (its unique repository: of two creates at once, one wins on both dialects). */
  create(m: NewMirror): Promise<boolean> {
    const values = {
      ...m,
      username: this.seal(m.username),
      password: this.seal(m.password),
      tagGlobs: JSON.stringify(m.tagGlobs),
      architectureFilter: JSON.stringify(m.architectureFilter ?? []),
      syncTransactionId: randomUUID(),
    };
    return this.q.run(function* ({ db, t }) {
      return (yield* all(db.insert(t.repoMirrors).values(values).onConflictDoNothing().returning({ id: t.repoMirrors.id }))).length > 0;
    });
  }

  /** Applies the fields given; true when a row changed. */
  async change(repositoryId: number, c: MirrorChange): Promise<boolean> {
    const { architectureFilter, tagGlobs, ...rest } = c;
    const set: Record<string, unknown> = { ...rest };
    if (tagGlobs) set.tagGlobs = JSON.stringify(tagGlobs);
    if (architectureFilter) set.architectureFilter = JSON.stringify(architectureFilter);
    if (Object.keys(set).length === 0) return false;
    return (await this.q.run((scope) => update(scope, set, eq(scope.t.repoMirrors.repositoryId, repositoryId)))) > 0;
  }

  /** `password` undefined keeps the stored one (a username alone); null removes it. */
  async changeCredentials(repositoryId: number, username: string | null, password?: string | null): Promise<boolean> {
    const set: Record<string, unknown> = { username: this.seal(username) };
    if (password !== undefined) set.password = this.seal(password);
    return (await this.q.run((scope) => update(scope, set, eq(scope.t.repoMirrors.repositoryId, repositoryId)))) > 0;
  }

  /** Mirrors ready to run now (Quay's get_eligible_mirrors): asked for now, due, or a sync whose claim expired. */
  async eligible(limit = 50): Promise<MirrorConfig[]> {
    const now = this.clock();
    const found = await this.q.run(function* ({ db, t }) {
      const m = t.repoMirrors;
      return yield* all(
        selectMirrors(db, t)
          .where(
            and(
              eq(t.repositories.state, "MIRROR"),
              or(
                and(eq(m.syncStatus, "SYNC_NOW"), isNull(m.syncExpirationMs)),
                and(lte(m.syncStartMs, now), gt(m.syncRetriesRemaining, 0), ne(m.syncStatus, "SYNCING"), isNull(m.syncExpirationMs), eq(m.isEnabled, true)),
                and(lte(m.syncStartMs, now), gt(m.syncRetriesRemaining, 0), eq(m.syncStatus, "SYNCING"), isNotNull(m.syncExpirationMs), lte(m.syncExpirationMs, now), eq(m.isEnabled, true)),
              ),
            ),
          )
          // The id breaks ties: PostgreSQL promises no order of its own.
          .orderBy(asc(m.syncStartMs), asc(m.id))
          .limit(limit),
      );
    });
    return found.map((r) => mirrorConfig(this.cipher, r as MirrorRow));
  }

  /** Marks the mirror SYNCING for this worker; the claimed row, or undefined when another change came first. */
  async claim(mirror: MirrorConfig): Promise<MirrorConfig | undefined> {
    if (mirror.syncStatus === "CANCEL") return undefined;
    const now = this.clock();
    const expired = mirror.syncStatus === "SYNCING" && mirror.syncExpirationMs !== null && mirror.syncExpirationMs <= now;
    if (mirror.syncStatus === "SYNCING" && !expired) return undefined;
    const set = { syncStatus: "SYNCING", syncExpirationMs: now + mirror.timeoutS * 1000, syncTransactionId: randomUUID() };
    const changed = await this.q.run((scope) => update(scope, set, unchanged(scope.t.repoMirrors, mirror)));
    return changed ? this.byId(mirror.id) : undefined;
  }

  /**
   * Ends a claimed sync (Quay's release_mirror): a success moves the start to the next interval; a
   * failure keeps it (retried at the next pass) until the retries are spent, then moves it as a
   * success would. False when the claim was lost (a cancel came in between).
   */
  async release(mirror: MirrorConfig, status: "SUCCESS" | "FAIL", lastError: string | null): Promise<boolean> {
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
    const set = { syncStatus: status, syncStartMs: next, syncExpirationMs: null, syncRetriesRemaining: retries, syncTransactionId: randomUUID(), lastError, lastSyncMs: now };
    return (await this.q.run((scope) => update(scope, set, unchanged(scope.t.repoMirrors, mirror)))) > 0;
  }

  /**
   * Puts a claimed sync back to run again at once (SYNC_NOW): the server stops while it runs, or
   * (`mirror` undefined) every SYNCING mirror at start, whose worker died with the last process.
   * Single node: with several, a sync another node runs is not orphaned.
   */
  requeue(mirror?: MirrorConfig): Promise<number> {
    const set = { syncStatus: "SYNC_NOW", syncExpirationMs: null, syncTransactionId: randomUUID() };
    return this.q.run((scope) => {
      const m = scope.t.repoMirrors;
      return update(scope, set, mirror ? unchanged(m, mirror) : eq(m.syncStatus, "SYNCING"));
    });
  }

  /** The status now (a running sync asks between steps whether it was cancelled). */
  status(id: number): Promise<{ syncStatus: MirrorStatus; syncTransactionId: string } | undefined> {
    return this.q.run(function* ({ db, t }) {
      const m = t.repoMirrors;
      return yield* one(db.select({ syncStatus: m.syncStatus, syncTransactionId: m.syncTransactionId }).from(m).where(eq(m.id, id)));
    });
  }

  /** Quay's update_sync_status_to_sync_now: not while SYNCING. */
  syncNow(repositoryId: number): Promise<boolean> {
    return this.q.transaction(function* (scope) {
      const m = yield* locked(scope, repositoryId);
      if (!m || m.syncStatus === "SYNCING") return false;
      const set = { syncStatus: "SYNC_NOW", syncExpirationMs: null, syncRetriesRemaining: Math.max(m.syncRetriesRemaining, 1), syncTransactionId: randomUUID() };
      return (yield* update(scope, set, eq(scope.t.repoMirrors.id, m.id))) > 0;
    });
  }

  /** Quay's update_sync_status_to_cancel: only a SYNCING or SYNC_NOW mirror; force-claims it. */
  cancel(repositoryId: number): Promise<boolean> {
    return this.q.transaction(function* (scope) {
      const m = yield* locked(scope, repositoryId);
      if (!m || (m.syncStatus !== "SYNCING" && m.syncStatus !== "SYNC_NOW")) return false;
      const set = { syncStatus: "CANCEL", syncExpirationMs: null, syncRetriesRemaining: 0, syncTransactionId: randomUUID() };
      return (yield* update(scope, set, eq(scope.t.repoMirrors.id, m.id))) > 0;
    });
  }
}

/**
 * The repository's mirror row, locked (the first step of a guard-then-write body): a claim, a
 * release or another sync-now or cancel on PostgreSQL waits until the guard's write committed.
 */
function* locked({ db, t }: Scope, repositoryId: number) {
  const m = t.repoMirrors;
  return yield* oneLocked(
    db.select({ id: m.id, syncStatus: m.syncStatus, syncRetriesRemaining: m.syncRetriesRemaining }).from(m).where(eq(m.repositoryId, repositoryId)),
  );
}
