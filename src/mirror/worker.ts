// The server's mirror worker (Quay's repomirrorworker): every poll it claims the mirrors that are
// due (their start date passed, SYNC_NOW asked, or a claim expired), runs up to `concurrency`
// syncs at once and releases each with its outcome. A cancel (API v1's sync-cancel) takes the
// claim away; the running sync sees that within a second and stops between two steps. A sync
// also stops at its timeout (skopeo_timeout_interval) and when the server stops; then it is put
// back to run again at once, and, being content-addressed, copies only what is still missing.
import type { Logger } from "../log";
import type { MirrorConfig } from "../store/meta/mirrors";
import { syncMirror, type SyncDeps } from "./sync";

export interface MirrorWorkerOptions {
  /** How often to look for due mirrors; 0: never by itself, nor on kick (only runOnce: tests, a pass on demand). */
  pollMs: number;
  concurrency: number;
  /**
   * Whether every SYNCING mirror at start is an orphan of the process before this one (one node).
   * With several nodes (PostgreSQL) another node may be running it: orphans are found by their
   * expired claim instead (Quay's rule, in the due mirrors' query).
   */
  orphansAtStart?: boolean;
}

class Cancelled extends Error {}

export class MirrorWorker {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly running = new Map<number, Promise<void>>();
  private readonly stopping = new AbortController();
  private polling: Promise<string[]> | undefined;

  constructor(
    private readonly deps: SyncDeps & { log: Logger },
    private readonly opts: MirrorWorkerOptions,
  ) {}

  async start(): Promise<void> {
    // Syncs claimed by the process before this one were cut off with it: they run again.
    const orphans = this.opts.orphansAtStart === false ? 0 : await this.deps.stores.mirrors.requeue();
    if (orphans) this.deps.log.info(`mirror: ${orphans} interrupted syncs queued to resume`);
    if (this.timer || this.opts.pollMs <= 0) return;
    this.timer = setInterval(() => this.kick(), this.opts.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for due mirrors now (after a sync-now), without waiting for the syncs. */
  kick(): void {
    if (this.opts.pollMs > 0 && !this.polling && !this.stopping.signal.aborted) void this.poll().catch((e) => this.deps.log.error("mirror poll failed", e));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopping.abort(new Error("the server is stopping"));
    await this.polling?.catch(() => {});
    await Promise.all([...this.running.values()]);
  }

  /** Claims and runs every due mirror, and waits for all syncs (tests, a first pass); what each did. */
  async runOnce(): Promise<string[]> {
    while (this.polling) await this.polling.catch(() => {});
    await Promise.all([...this.running.values()]);
    const said = await this.poll();
    await Promise.all([...this.running.values()]);
    return said;
  }

  private async poll(): Promise<string[]> {
    const work = (async () => {
      const said: string[] = [];
      const free = this.opts.concurrency - this.running.size;
      if (free <= 0) return said;
      for (const due of await this.deps.stores.mirrors.eligible(free)) {
        if (this.running.has(due.id) || this.running.size >= this.opts.concurrency) continue;
        const claimed = await this.deps.stores.mirrors.claim(due);
        if (!claimed) continue;
        said.push(claimed.repository);
        const run = this.run(claimed).finally(() => this.running.delete(claimed.id));
        this.running.set(claimed.id, run);
      }
      return said;
    })();
    this.polling = work;
    try {
      return await work;
    } finally {
      this.polling = undefined;
    }
  }

  private async run(mirror: MirrorConfig): Promise<void> {
    const { mirrors } = this.deps.stores;
    const controller = new AbortController();
    const cancelWatch = setInterval(() => {
      void mirrors.status(mirror.id).then(
        (now) => {
          if (now?.syncTransactionId !== mirror.syncTransactionId) controller.abort(new Cancelled("the sync was cancelled"));
        },
        (e) => this.deps.log.error(`mirror ${mirror.repository}: reading its status failed`, e),
      );
    }, 1000);
    const signal = AbortSignal.any([controller.signal, this.stopping.signal, AbortSignal.timeout(mirror.timeoutS * 1000)]);
    try {
      const result = await syncMirror(this.deps, mirror, signal);
      if (controller.signal.aborted) return; // cancelled: the cancel already released it
      if (this.stopping.signal.aborted) {
        await mirrors.requeue(mirror);
        return;
      }
      await mirrors.release(mirror, result.ok ? "SUCCESS" : "FAIL", result.ok ? null : result.error);
      if (result.ok) this.deps.log.info(`mirror ${mirror.repository}: ${result.summary}`);
      else this.deps.log.info(`mirror ${mirror.repository} failed: ${result.error}`);
    } catch (e) {
      await mirrors.release(mirror, "FAIL", (e as Error)?.message ?? String(e)).catch((e2) => this.deps.log.error(`mirror ${mirror.repository}: releasing it failed`, e2));
      this.deps.log.error(`mirror ${mirror.repository} failed`, e);
    } finally {
      clearInterval(cancelWatch);
    }
  }
}
