// A small memory of hot reads (repository by name, manifest by tag) for the manifest GET path,
// where two SQLite lookups were most of the per-request cost. Every write that could change an
// answer goes through a store of this process and clears the cache; nothing else writes these
// tables (the CLI's gc only drops blob rows). A second node will need a shared invalidation.

const MAX_ENTRIES = 10_000;

export class ReadCache {
  private readonly entries = new Map<string, unknown>();

  get<T>(key: string, load: () => T): T {
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = load();
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
