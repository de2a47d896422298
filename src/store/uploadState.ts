// What an upload session keeps outside its row (docs/ARCHITECTURE.md, "State one process holds"):
// who is writing to it right now, and the sha256 state that has followed its bytes.
//
// Locks: one request at a time appends to, finishes, cancels or sweeps a session. Several nodes
// need a lock they all see (a PostgreSQL advisory lock held on the request's connection, which
// the database drops if the node dies), hence async.
//
// Hash states: a hasher that has seen exactly the first `offset` bytes of the upload file, so a
// finish does not re-read what was pushed. A hasher cannot leave the process, so every node keeps
// its own, and that stays correct: a state is kept only when it matches the offset the row
// recorded, bytes below that offset never change (appends truncate back to it and write after it,
// under the lock), and a node whose state does not match the row re-reads the file once.

/** Which upload sessions a request holds right now. */
export interface UploadLocks {
  /** Takes session `id` for the caller; false while another request holds it. */
  tryLock(id: string): Promise<boolean>;
  /** Gives a held session back. */
  unlock(id: string): Promise<void>;
}

/** A sha256 hasher that has seen exactly the first `offset` bytes of an upload. */
export interface UploadHashState {
  hasher: Bun.CryptoHasher;
  offset: number;
}

/** Hash states of upload sessions, checked out while an append feeds them. */
export interface UploadHashStates {
  /**
   * Takes out the state of upload `id` if it has seen exactly `offset` bytes (the caller owns it
   * until it puts it back); a state at another offset is dropped.
   */
  take(id: string, offset: number): UploadHashState | undefined;
  /** Keeps a state whose offset is the one the session's row now records. */
  put(id: string, state: UploadHashState): void;
  delete(id: string): void;
}

/** Locks in this process's memory: enough while one node serves every upload. */
export class InProcessUploadLocks implements UploadLocks {
  private readonly held = new Set<string>();

  async tryLock(id: string): Promise<boolean> {
    if (this.held.has(id)) return false;
    this.held.add(id);
    return true;
  }

  async unlock(id: string): Promise<void> {
    this.held.delete(id);
  }
}

/**
 * Hash states in this process's memory, at most `maxEntries` (the oldest go first; a session
 * whose state went re-reads its file once). The bound matters with several nodes, where a
 * session finished elsewhere never tells this one to forget its state.
 */
export class InProcessUploadHashStates implements UploadHashStates {
  private readonly states = new Map<string, UploadHashState>();

  constructor(private readonly maxEntries = 10_000) {}

  take(id: string, offset: number): UploadHashState | undefined {
    const state = this.states.get(id);
    this.states.delete(id);
    return state?.offset === offset ? state : undefined;
  }

  put(id: string, state: UploadHashState): void {
    this.states.delete(id);
    if (this.states.size >= this.maxEntries) {
      for (const oldest of this.states.keys()) {
        this.states.delete(oldest);
        if (this.states.size < this.maxEntries) break;
      }
    }
    this.states.set(id, state);
  }

  delete(id: string): void {
    this.states.delete(id);
  }

  /** Sessions with a kept state (tests). */
  get size(): number {
    return this.states.size;
  }
}
