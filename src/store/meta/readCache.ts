// A small memory of hot reads (repository by name, manifest by tag) for the manifest GET path,
// where two SQLite lookups were most of the per-request cost. Every write that could change an
// answer goes through a store of this process and clears the cache. Writes from elsewhere (the
// CLI's `repo visibility` while the server runs) are noticed through SQLite's data_version,
// which moves when another connection commits: checked at most every CHECK_EVERY_MS, so such a
// change takes effect within that time.
//
// get() is synchronous on purpose: it sits on every manifest GET, where awaiting its two lookups
// cost ~0.7–1 µs of ~14 µs (5–7 %, an in-process loop of token-auth GETs). A multi-node
// implementation keeps a memory per node and clears it when another node commits: a change
// counter polled like data_version, or a LISTEN on a channel every committing write NOTIFYs.

const MAX_ENTRIES = 10_000;
const CHECK_EVERY_MS = 100;

/** Remembered answers of hot reads, cleared by every write that could change one. */
export interface ReadCache {
  /** `keep` false: answer the loaded value without remembering it (e.g. it expires by itself). */
  get<T>(key: string, load: () => T, keep?: (value: T) => boolean): T;
  /** Forgets everything (a write that could change an answer commits). */
  clear(): void;
}

/** The read cache in this process's memory, noticing other connections' commits through `dataVersion`. */
export class InProcessReadCache implements ReadCache {
  private readonly entries = new Map<string, unknown>();
  private lastCheck = 0;
  private seenVersion: number | undefined;

  /** `dataVersion` reads `PRAGMA data_version` of the connection the loads use. */
  constructor(private readonly dataVersion?: () => number) {}

  get<T>(key: string, load: () => T, keep?: (value: T) => boolean): T {
    if (this.dataVersion) this.dropIfChangedElsewhere();
    // One lookup on a hit; a remembered undefined (nothing there) needs the second.
    const hit = this.entries.get(key);
    if (hit !== undefined || this.entries.has(key)) return hit as T;
    const value = load();
    if (keep && !keep(value)) return value;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  private dropIfChangedElsewhere(): void {
    const now = Date.now();
    if (now - this.lastCheck < CHECK_EVERY_MS) return;
    this.lastCheck = now;
    const version = this.dataVersion!();
    if (version !== this.seenVersion) {
      this.seenVersion = version;
      this.entries.clear();
    }
  }
}
