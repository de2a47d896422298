// What /health/instance and /health/endtoend check, as Quay names them:
// - instance (is this process able to serve?): the database answers a query, and the data
//   directory's disk has space;
// - endtoend (does a push work end to end?): a database write read back, and a blob store write
//   read back (uploads/ into blobs/, as a pushed blob goes).
// End-to-end checks write to disk, so an anonymous caller cannot make them run more than once
// a second: concurrent calls share one run, and a result is reused for a second.
import { statfs } from "node:fs/promises";
import type { Stores } from "../store";
import { diskSpaceCheck, healthAnswer, type HealthAnswer, type ServiceCheck } from "./report";

export interface HealthDeps {
  stores: Pick<Stores, "health" | "blobs">;
  dataDir: string;
  /** Tells what failed ("[FAILED HEALTH CHECK] storage: …"). */
  onFailure(failures: string[]): void;
  clock?: () => number;
}

const CHECK_TIMEOUT_MS = 5000;
const ENDTOEND_REUSE_MS = 1000;

/** A check that has not answered within CHECK_TIMEOUT_MS failed (a hung network file system). */
async function bounded(check: () => Promise<ServiceCheck>): Promise<ServiceCheck> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<ServiceCheck>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${CHECK_TIMEOUT_MS / 1000} s` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch((e): ServiceCheck => ({ ok: false, reason: String(e?.message ?? e) })), late]);
  } finally {
    clearTimeout(timer);
  }
}

export class HealthChecks {
  private running: Promise<HealthAnswer> | undefined;
  private last: { at: number; answer: HealthAnswer } | undefined;
  private readonly clock: () => number;

  constructor(private readonly deps: HealthDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async instance(): Promise<HealthAnswer> {
    return this.report({
      database: await this.deps.stores.health.read(),
      disk_space: await bounded(async () => diskSpaceCheck(await statfs(this.deps.dataDir))),
    });
  }

  endtoend(): Promise<HealthAnswer> {
    if (this.running) return this.running;
    const now = this.clock();
    if (this.last && now - this.last.at < ENDTOEND_REUSE_MS) return Promise.resolve(this.last.answer);
    this.running = this.runEndToEnd(now)
      .then((answer) => {
        this.last = { at: this.clock(), answer };
        return answer;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async runEndToEnd(now: number): Promise<HealthAnswer> {
    return this.report({
      database: await this.deps.stores.health.writeAndRead(crypto.randomUUID(), now),
      storage: await bounded(() => this.deps.stores.blobs.probe()),
    });
  }

  private report(checks: Record<string, ServiceCheck>): HealthAnswer {
    const answer = healthAnswer(checks);
    if (answer.failures.length) this.deps.onFailure(answer.failures);
    return answer;
  }
}

/** The answer as Quay sends it: JSON, never cached. */
export function healthResponse(answer: HealthAnswer): Response {
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-cache, no-store, must-revalidate" },
  });
}
