// Session advisory locks on one connection a node keeps for them: held until unlocked or until the
// connection ends, so a node that dies (process killed, network gone) lets go of all of them. Used
// by the upload locks and the lifecycle lease.
import type { ReservedSQL, SQL } from "bun";

/**
 * The lock classes (the first key of `pg_try_advisory_lock(int, int)`; the migration lock in
 * ../open.ts uses the one-bigint form, a separate key space).
 */
export const LOCK_CLASS = { upload: 0x6265_0001, lifecycle: 0x6265_0002 } as const;

/**
 * A session's advisory locks are re-entrant: the same connection taking a key twice gets it twice.
 * So this process keeps its own set of held names in front, and the database says whether
 * another node holds one. A name maps to a 32-bit `hashtext`; two names sharing a hash (about one
 * pair in 2^32) are busy for each other, never both held.
 */
export class NodeAdvisoryLocks {
  private connection: Promise<ReservedSQL> | undefined;
  private readonly held = new Set<string>();
  private closed = false;

  constructor(
    private readonly sql: SQL,
    private readonly lockClass: number,
  ) {}

  async tryLock(name: string): Promise<boolean> {
    if (this.closed || this.held.has(name)) return false;
    this.held.add(name); // before the await: a second request on this node is busy at once
    try {
      const conn = await this.conn();
      const [row] = await conn`SELECT pg_try_advisory_lock(${this.lockClass}::int, hashtext(${name})) AS got`;
      if (!row.got) this.held.delete(name);
      return row.got;
    } catch (e) {
      await this.dropConnection();
      throw e;
    }
  }

  async unlock(name: string): Promise<void> {
    if (!this.held.has(name)) return;
    try {
      const conn = await this.conn();
      await conn`SELECT pg_advisory_unlock(${this.lockClass}::int, hashtext(${name}))`;
      this.held.delete(name);
    } catch (e) {
      await this.dropConnection();
      throw e;
    }
  }

  /**
   * Whether the connection holding the locks still lives: then so do its locks. False (and the
   * connection dropped, with this node's held names) when it does not.
   */
  async stillConnected(): Promise<boolean> {
    if (!this.connection) return false;
    try {
      await (await this.connection)`SELECT 1`;
      return true;
    } catch {
      await this.dropConnection();
      return false;
    }
  }

  /**
   * Lets go of every lock, then ends the connection (a node stopping). The unlock is explicit:
   * the server ends a closed session's locks a moment after the close returns, and another node
   * asking right after would still find them held.
   */
  async close(): Promise<void> {
    this.closed = true;
    const conn = await this.connection?.catch(() => undefined);
    if (conn) await conn`SELECT pg_advisory_unlock_all()`.catch(() => {});
    await this.dropConnection();
  }

  /** Names this node holds (tests). */
  get size(): number {
    return this.held.size;
  }

  private conn(): Promise<ReservedSQL> {
    this.connection ??= this.sql.reserve();
    return this.connection;
  }

  /**
   * Closed, never given back to the pool: a pooled connection would keep its session's locks.
   * The database lets go of them with the session. After a failed query the connection goes the
   * same way (its locks are as good as gone) and the next lock reserves a new one.
   */
  private async dropConnection(): Promise<void> {
    const conn = this.connection;
    this.connection = undefined;
    this.held.clear();
    if (conn) await (await conn.catch(() => undefined))?.close().catch(() => {});
  }
}
