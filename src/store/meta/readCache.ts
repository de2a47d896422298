// A small memory of hot reads (repository by name, manifest by tag) for the manifest GET path,
// where two SQLite lookups were most of the per-request cost. Every write that could change an
// answer goes through a store of this process and clears the cache. Writes from elsewhere (the
// CLI's `repo visibility` while the server runs) are noticed through SQLite's data_version,
// which moves when another connection commits: checked at most every CHECK_EVERY_MS, so such a
// change takes effect within that time.
//
// Answers come at once when they can: a remembered one, or one a loader gives at once (SQLite's
// queries are synchronous: the store's `runner.runMaybeSync`). Only a loader that answers a
// promise (PostgreSQL) makes get() answer one; concurrent misses of one key share that load, and
// a clear() while it runs keeps its answer out of the memory (it may predate the write). Awaiting
// the two lookups on every manifest GET cost ~0.7–1 µs of ~14 µs (5–7 %, an in-process loop of
// token-auth GETs), hence no promise where none is needed. Several nodes: pg/nodeState/readCache.ts.

const MAX_ENTRIES = 10_000;
const CHECK_EVERY_MS = 100;

/** A value, or a promise of one where it could not be had at once. */
export type MaybePromise<T> = T | Promise<T>;

/** Remembered answers of hot reads, cleared by every write that could change one. */
export interface ReadCache {
  /**
   * The remembered answer, else the loaded one (remembered unless `keep` refuses it, e.g. it
   * expires by itself): at once unless the loader answers a promise.
   */
  get<T>(key: string, load: () => MaybePromise<T>, keep?: (value: T) => boolean): MaybePromise<T>;
  /** Forgets everything (a write that could change an answer commits). */
  clear(): void;
}

/**
 * Loads under way, for a cache whose loader may answer a promise: concurrent misses of one key
 * share one load, and an answer that settles after a forget() (a write committed meanwhile) is
 * handed to its callers but not remembered.
 */
export class PendingLoads {
  private readonly pending = new Map<string, Promise<unknown>>();
  private generation = 0;

  /** Runs `load` (or joins the one under way) and hands a value to `remember` unless `keep` refuses it. */
  load<T>(key: string, load: () => MaybePromise<T>, keep: ((value: T) => boolean) | undefined, remember: (value: T) => void): MaybePromise<T> {
    const running = this.pending.get(key);
    if (running) return running as Promise<T>;
    const value = load();
    if (!(value instanceof Promise)) {
      if (!keep || keep(value)) remember(value);
      return value;
    }
    const generation = this.generation;
    const done = () => {
      if (this.pending.get(key) === shared) this.pending.delete(key);
    };
    const shared: Promise<T> = value.then(
      (loaded) => {
        done();
        if (generation === this.generation && (!keep || keep(loaded))) remember(loaded);
        return loaded;
      },
      (e) => {
        done();
        throw e;
      },
    );
    this.pending.set(key, shared);
    return shared;
  }

  /** What loads under way answer is no longer to be remembered; later misses load afresh. */
  forget(): void {
    this.pending.clear();
    this.generation++;
  }
}

/** The read cache in this process's memory, noticing other connections' commits through `dataVersion`. */
export class InProcessReadCache implements ReadCache {
  private readonly entries = new Map<string, unknown>();
  private readonly loads = new PendingLoads();
  private lastCheck = 0;
  private seenVersion: number | undefined;

  /** `dataVersion` reads `PRAGMA data_version` of the connection the loads use. */
  constructor(private readonly dataVersion?: () => number) {}

  get<T>(key: string, load: () => MaybePromise<T>, keep?: (value: T) => boolean): MaybePromise<T> {
    if (this.dataVersion) this.dropIfChangedElsewhere();
    // One lookup on a hit; a remembered undefined (nothing there) needs the second.
    const hit = this.entries.get(key);
    if (hit !== undefined || this.entries.has(key)) return hit as T;
    return this.miss(key, load, keep);
  }

  /** Apart from get(), so that the hit path stays small (it runs on every manifest GET). */
  private miss<T>(key: string, load: () => MaybePromise<T>, keep: ((value: T) => boolean) | undefined): MaybePromise<T> {
    return this.loads.load(key, load, keep, (value) => {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, value);
    });
  }

  clear(): void {
    this.entries.clear();
    this.loads.forget();
  }

  private dropIfChangedElsewhere(): void {
    const now = Date.now();
    if (now - this.lastCheck < CHECK_EVERY_MS) return;
    this.lastCheck = now;
    const version = this.dataVersion!();
    if (version !== this.seenVersion) {
      this.seenVersion = version;
      this.clear();
    }
  }
}
