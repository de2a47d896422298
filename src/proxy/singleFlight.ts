// One run per key at a time: callers asking for a key already running share its promise, so 32
// first pulls of one uncached blob fetch it from the upstream once.
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** The running promise for `key`, if any. */
  current(key: string): Promise<T> | undefined {
    return this.running.get(key);
  }

  /** `run()` unless `key` is already running; either way, the promise every caller waits on. */
  do(key: string, run: () => Promise<T>): Promise<T> {
    const found = this.running.get(key);
    if (found) return found;
    const p = run().finally(() => this.running.delete(key));
    this.running.set(key, p);
    return p;
  }
}
