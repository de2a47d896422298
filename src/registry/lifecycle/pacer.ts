// How a collection pass gives way between two batches. In the server the pass shares the event
// loop with requests: handing it back after each batch lets waiting requests run, and resting as
// long as the batch worked (share 0.5) keeps the pass to at most half the loop, so a pass over a
// large store slows pulls rather than stalling them. `berth gc` runs in its own process and only
// leaves a gap after each transaction, so the server's writers find the lock free.

export interface PacerOptions {
  /** The share of the time the pass may work, between 0 (exclusive) and 1 (never rest). */
  share?: number;
  /** A pause after each transaction. */
  writeGapMs?: number;
}

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Lets whatever waits on the event loop run once. */
  yieldOnce(): Promise<void>;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => Bun.sleep(ms),
  yieldOnce: () => new Promise<void>((resolve) => setImmediate(resolve)),
};

export class Pacer {
  private resumed: number;
  private readonly share: number;

  constructor(
    private readonly opts: PacerOptions = {},
    private readonly clock: PacerClock = realClock,
  ) {
    this.share = Math.min(1, Math.max(0.05, opts.share ?? 1));
    this.resumed = clock.now();
  }

  /** Between two batches (`wrote`: the batch committed a transaction). */
  async breathe(wrote = false): Promise<void> {
    const worked = this.clock.now() - this.resumed;
    const rest = Math.max(wrote ? (this.opts.writeGapMs ?? 0) : 0, (worked * (1 - this.share)) / this.share);
    await (rest >= 1 ? this.clock.sleep(rest) : this.clock.yieldOnce());
    this.resumed = this.clock.now();
  }
}
