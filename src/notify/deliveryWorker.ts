// Sends what the notification outbox holds, retrying with backoff.
//
// Protocol:
// - Producers write a row (NotificationStore.enqueue) and call kick(); the worker also polls, so
//   rows written before a restart, or by a producer that did not kick, are found.
// - A due row is sent at most once at a time: the worker claims it first (DeliveryClaims, shared
//   when several nodes poll one outbox) and skips rows it has in flight. At most `concurrency`
//   rows are in flight in this worker.
// - Fair between tenants: at most `perNamespace` of those belong to one namespace (all its
//   repositories together), and the outbox is read in turns across namespaces. A namespace whose
//   receivers never answer (or that queues test after test) ties up its own slots only; another
//   namespace's push goes out at once. The shares are this worker's: with several nodes a
//   namespace may have `perNamespace` sends in flight on each.
// - Success deletes the row. A failure records the error and moves the row's next attempt
//   `retryDelaysMs[n]` into the future after the n-th failure; when the retries are used up the
//   row is deleted and the notification's number_of_failures goes up by one (giveUp).
// - Delivery is at least once: a crash between a receiver's 2xx and markDelivered sends again.
// - stop() aborts sends in flight and leaves their rows untouched, due again at the next start.
import type { Logger } from "../log";
import type { DeliveryClaims } from "./deliveryClaims";
import type { DueDelivery, NotificationStore } from "../store/meta/notifications";
import { isDisabled } from "./events";
import { deliverySender, type DeliverySender } from "./sendDelivery";

/**
 * Waits before each retry: a delivery gets one attempt as soon as it is queued, then one retry
 * per entry (six attempts over about 13 minutes), then it is given up.
 */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];

/**
 * Sends are cheap waits on the network, so many may be in flight; a namespace gets a small share
 * so that it takes several namespaces of stuck receivers to slow anyone else down.
 */
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_PER_NAMESPACE = 2;

export interface DeliveryWorkerOptions {
  retryDelaysMs?: readonly number[];
  /** How often the outbox is read when nothing kicks the worker. */
  pollMs?: number;
  /** Sends in flight at most. */
  concurrency?: number;
  /** Sends in flight at most for the repositories of one namespace. */
  perNamespace?: number;
  /** Default: webhooks under the default target policy. */
  send?: DeliverySender;
  now?: () => number;
}

export class DeliveryWorker {
  private readonly retryDelaysMs: readonly number[];
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly perNamespace: number;
  private readonly send: DeliverySender;
  private readonly now: () => number;
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Sends in flight per namespace id. */
  private readonly namespaceLoad = new Map<number, number>();
  private readonly wakeups = new Set<ReturnType<typeof setTimeout>>();
  private poller: ReturnType<typeof setInterval> | undefined;
  /** The pass over the outbox under way (one at a time: a claim is awaited between rows). */
  private filling: Promise<void> | undefined;
  private fillAgain = false;
  private kickPending = false;
  private running = false;
  private abort = new AbortController();

  constructor(
    private readonly store: NotificationStore,
    private readonly log: Logger,
    private readonly claims: DeliveryClaims,
    opts: DeliveryWorkerOptions = {},
  ) {
    this.retryDelaysMs = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.pollMs = opts.pollMs ?? 1_000;
    this.concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
    this.perNamespace = Math.max(1, Math.min(this.concurrency, opts.perNamespace ?? DEFAULT_PER_NAMESPACE));
    this.send = opts.send ?? deliverySender();
    this.now = opts.now ?? Date.now;
  }

  /** Starts polling and sends whatever is already due (rows left by a previous run included). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.poller = setInterval(() => this.fill(), this.pollMs);
    // Never keep the process (or a test run) alive just to poll.
    this.poller.unref();
    this.fill();
  }

  /** Something was queued: look at the outbox now rather than at the next poll. */
  kick(): void {
    if (!this.running || this.kickPending) return;
    this.kickPending = true;
    // Deferred so a burst of enqueues (and the request that made them) finishes first.
    setTimeout(() => {
      this.kickPending = false;
      this.fill();
    }, 0);
  }

  /** Stops polling, aborts sends in flight (their rows stay due) and waits for them to settle. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.poller);
    for (const t of this.wakeups) clearTimeout(t);
    this.wakeups.clear();
    this.abort.abort();
    await this.filling;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Sends in flight right now (for tests and shutdown). */
  get busy(): number {
    return this.inFlight.size;
  }

  private fill(): void {
    if (!this.running) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.fillOnce()
      .catch((e) => this.log.error("notification outbox: cannot claim due deliveries", e))
      .finally(() => {
        this.filling = undefined;
        if (this.fillAgain) {
          this.fillAgain = false;
          this.fill();
        }
      });
  }

  private async fillOnce(): Promise<void> {
    if (this.inFlight.size >= this.concurrency) return;
    let due: DueDelivery[];
    try {
      // Enough rows to fill every free slot even if some are in flight already, or belong to a
      // namespace at its share (at most perNamespace rows of each, so at most inFlight.size).
      due = await this.store.due(this.now(), this.concurrency + this.inFlight.size, this.perNamespace);
    } catch (e) {
      this.log.error("notification outbox: cannot read due deliveries", e);
      return;
    }
    for (const delivery of due) {
      // Only one pass runs, so slots and shares can only have freed up during the claim's await.
      if (!this.running || this.inFlight.size >= this.concurrency) break;
      if (this.inFlight.has(delivery.id) || (this.namespaceLoad.get(delivery.namespaceId) ?? 0) >= this.perNamespace) continue;
      if (!(await this.claims.claim(delivery.id))) continue;
      if (!this.running) {
        await this.claims.release(delivery.id);
        break;
      }
      this.dispatch(delivery);
    }
  }

  /** Sends a claimed row in the background; its slot, share and claim are given back after. */
  private dispatch(delivery: DueDelivery): void {
    const ns = delivery.namespaceId;
    this.namespaceLoad.set(ns, (this.namespaceLoad.get(ns) ?? 0) + 1);
    const done = (async () => {
      try {
        await this.attempt(delivery);
      } catch (e) {
        this.log.error(`notification ${delivery.notificationUuid}: delivery ${delivery.id} failed to record`, e);
      } finally {
        await this.claims.release(delivery.id).catch((e) => this.log.error(`notification outbox: cannot release delivery ${delivery.id}`, e));
        this.inFlight.delete(delivery.id);
        const left = (this.namespaceLoad.get(ns) ?? 1) - 1;
        if (left > 0) this.namespaceLoad.set(ns, left);
        else this.namespaceLoad.delete(ns);
        // A slot is free: more may be waiting.
        this.kick();
      }
    })();
    this.inFlight.set(delivery.id, done);
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    if (isDisabled(delivery.numberOfFailures)) {
      // Disabled after queueing (Quay drops these too); resetting failures re-enables later events.
      await this.store.discard(delivery.id);
      return;
    }
    const signal = this.abort.signal;
    const outcome = await this.send(delivery, signal);
    if (outcome.ok) {
      await this.store.markDelivered(delivery.id);
      return;
    }
    // Cut short by stop(): not the receiver's fault, and the row is due again after a restart.
    if (signal.aborted) return;
    const failures = delivery.attempts + 1;
    const permanent = "permanent" in outcome && outcome.permanent;
    if (permanent || failures > this.retryDelaysMs.length) {
      await this.store.giveUp(delivery.id);
      this.log.error(`notification ${delivery.notificationUuid}: giving up after ${failures} attempt(s): ${outcome.error}`);
      return;
    }
    const delay = this.retryDelaysMs[failures - 1]!;
    await this.store.markAttemptFailed(delivery.id, outcome.error, this.now() + delay);
    this.wakeAfter(delay);
  }

  /** Looks again when the retry is due, rather than up to a poll period later. */
  private wakeAfter(delayMs: number): void {
    // +1: a timer may fire a hair early, and the row is due only once its time has come.
    const t = setTimeout(() => {
      this.wakeups.delete(t);
      this.fill();
    }, delayMs + 1);
    t.unref();
    this.wakeups.add(t);
  }
}
