// The read cache on several nodes (docs/ARCHITECTURE.md, "State one process holds";
// src/store/meta/readCache.ts): each node keeps its own memory, and a write on any node clears
// every node's. Three ways a node hears of a change, each covering the one before's gaps:
// - NOTIFY on a channel every node LISTENs to: at once, but a notification sent while a node's
//   listening connection is down is lost (so a reconnect clears the memory, as a change might
//   have been missed);
// - a change counter (the `read_cache_changes` sequence, taken by every announcing write), polled
//   every `pollMs`: a missed or raced notification costs at most that long;
// - every entry expires after `ttlMs`: a change nobody announced, or a database unreachable for
//   the poll, is stale at most that long.
import type { SQL } from "bun";
import { PendingLoads, type MaybePromise, type ReadCache } from "../../meta/readCache";

const CHANNEL = "berth_read_cache";
const MAX_ENTRIES = 10_000;

export interface PgReadCacheOptions {
  /** How long an entry is answered at most (default 10 s). */
  ttlMs?: number;
  /** How often the change counter is read (default 1 s). */
  pollMs?: number;
  /** The entries' clock (tests move it). */
  now?: () => number;
  /** A failed announcement or poll (the expiry still bounds staleness). */
  onError?: (e: unknown) => void;
}

interface Entry {
  value: unknown;
  untilMs: number;
}

/** Open with `PgReadCache.open`; `close` when the node stops. */
export class PgReadCache implements ReadCache {
  /** This node: its own announcements are not news to it. */
  readonly node = crypto.randomUUID();
  private readonly entries = new Map<string, Entry>();
  /** Loads under way (PostgreSQL's answer a promise): shared by concurrent misses, not remembered past a change heard meanwhile. */
  private readonly loads = new PendingLoads();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private seenChange: string | undefined;
  private subscription: { unlisten(): Promise<void> } | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling: Promise<void> | undefined;

  private constructor(
    private readonly sql: SQL,
    private readonly opts: PgReadCacheOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Starts listening (resolves once subscribed) and polling. */
  static async open(sql: SQL, opts: PgReadCacheOptions = {}): Promise<PgReadCache> {
    const cache = new PgReadCache(sql, opts);
    await cache.poll();
    // Subscribed again after every reconnect; what was announced meanwhile is unknown: clear.
    cache.subscription = await sql.listen(CHANNEL, (payload) => cache.heard(payload), () => cache.forget());
    cache.timer = setInterval(() => void cache.poll(), opts.pollMs ?? 1000);
    cache.timer.unref();
    return cache;
  }

  get<T>(key: string, load: () => MaybePromise<T>, keep?: (value: T) => boolean): MaybePromise<T> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.untilMs > now) return hit.value as T;
    // The expiry counts from the load's start: the answer is at most that old.
    return this.loads.load(key, load, keep, (value) => {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, { value, untilMs: now + this.ttlMs });
    });
  }

  /** This node's write committed: its memory goes now, the other nodes' when they hear. */
  clear(): void {
    this.forget();
    void this.announce();
  }

  /** Stops listening and polling. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
    await this.subscription?.unlisten();
  }

  /** Entries kept (tests). */
  get size(): number {
    return this.entries.size;
  }

  private heard(payload: string): void {
    if (!payload.endsWith(` ${this.node}`)) this.forget();
  }

  /** Another node's change, or this one's: what is remembered, and what loads under way will answer, may predate it. */
  private forget(): void {
    this.entries.clear();
    this.loads.forget();
  }

  private async announce(): Promise<void> {
    try {
      await this.sql`SELECT pg_notify(${CHANNEL}, nextval('read_cache_changes')::text || ' ' || ${this.node})`;
    } catch (e) {
      this.opts.onError?.(e);
    }
  }

  /** Clears the memory when the counter moved since the last poll (any node's change, this one's included). */
  private poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        const [row] = await this.sql`SELECT last_value::text AS v, is_called FROM read_cache_changes`;
        const change = row.is_called ? row.v : "0";
        if (this.seenChange !== undefined && change !== this.seenChange) this.forget();
        this.seenChange = change;
      } catch (e) {
        this.opts.onError?.(e);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }
}
