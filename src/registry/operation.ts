// How an operation runs: one transaction; each step inside it passes its guard chain first; an
// outcome other than "ok" rolls back everything the operation wrote (so a request that changes
// several things applies all or nothing); the events the steps queued are emitted only after the
// commit, in order. Quota measures taken by the guards are reported after the commit too, and
// after a rollback when the quota itself refused the step (its quota_error must still be told).
//
// An operation's body is a generator (`function* (op) { const facts = yield* op.guard(…); … }`):
// one body runs synchronously inside one SQLite transaction and awaited inside one PostgreSQL
// transaction (docs/POSTGRES.md, "One store, two dialects"). A body never awaits anything else.
import type { Program } from "../store/dialect/program";
import type { QuotaChecked, RegistryEvent, RegistryEvents } from "../events/registryEvents";
import type { RegistryTx } from "../store/registryTx";
import type { RegistryWrites } from "../store/registryWrites";
import { checkGuards, GuardFacts, type GuardTarget, type StepName } from "./guards";
import type { Refusal } from "./outcomes";

/** Steps whose counted blobs become usage when they commit (a manifest names them); uploads and mounts only link theirs. */
const COUNTED_ON_COMMIT: ReadonlySet<StepName> = new Set<StepName>(["pushManifest"]);

/** Thrown inside the transaction to roll it back with an outcome. */
class Rollback {
  constructor(readonly outcome: { kind: string }) {}
}

/** Quota measures to report: after the commit, or after a rollback the quota caused. */
interface QuotaChecks {
  committed: QuotaChecked[];
  refused: QuotaChecked[];
}

/** What a step sees: the transaction, its guards, and the events to emit after commit. */
export class OperationScope {
  constructor(
    readonly tx: RegistryTx,
    private readonly pending: RegistryEvent[],
    private readonly checks: QuotaChecks = { committed: [], refused: [] },
    private readonly registryReadOnly = false,
  ) {}

  /** Runs the step's guards; a refusal ends the whole operation (rolled back) with it. */
  *guard(step: StepName, target: GuardTarget): Program<GuardFacts> {
    const facts = new GuardFacts(this.tx, target, this.registryReadOnly);
    const refusal: Refusal | undefined = yield* checkGuards(step, facts);
    const report = facts.measuredQuota();
    const actual = !target.countedBlobs?.length || COUNTED_ON_COMMIT.has(step);
    if (report && !refusal) this.checks.committed.push({ report, refused: false, actual });
    if (report && refusal?.kind === "quotaExceeded") this.checks.refused.push({ report, refused: true, actual: false });
    if (refusal) throw new Rollback(refusal);
    return facts;
  }

  /** Ends the operation with `outcome`, undoing what it wrote so far. */
  fail(outcome: { kind: string; [detail: string]: unknown }): never {
    throw new Rollback(outcome);
  }

  emit(event: RegistryEvent): void {
    this.pending.push(event);
  }
}

export interface OperationDeps {
  writes: RegistryWrites;
  events: RegistryEvents;
  /** registryState readonly: every guard chain refuses (guards.ts, registryWritable). */
  readOnly?: boolean;
}

/** An operation's body: a step of its transaction, answering the outcome. */
export type OperationBody<T> = (op: OperationScope) => Program<T>;

/** Runs `body` as one operation. Its outcome is committed only when it is "ok". */
export async function runOperation<T extends { kind: string }>(deps: OperationDeps, body: OperationBody<T>): Promise<T> {
  const pending: RegistryEvent[] = [];
  const checks: QuotaChecks = { committed: [], refused: [] };
  let outcome: T;
  try {
    outcome = await deps.writes.transact(function* (tx) {
      const result = yield* body(new OperationScope(tx, pending, checks, deps.readOnly));
      if (result.kind !== "ok") throw new Rollback(result);
      return result;
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
    for (const check of checks.refused) deps.events.quotaChecked(check);
    return e.outcome as T;
  }
  const answerAfter: Promise<void>[] = [];
  for (const event of pending) {
    const waited = deps.events.emit(event);
    if (waited) answerAfter.push(waited);
  }
  for (const check of checks.committed) deps.events.quotaChecked(check);
  // Durable side effects of the change (a push's outbox rows) are written before the caller answers.
  if (answerAfter.length) await Promise.all(answerAfter);
  return outcome;
}
