// Runs the registry's transactions (registryTx.ts has their steps): one transaction per body,
// through the store's runner (SQLite: BEGIN IMMEDIATE, the body run synchronously; PostgreSQL:
// awaited, its guards locking what they guard), one clock per transaction, and the read cache
// forgotten after each.
import type { Program, Runner } from "./dialect/program";
import type { ReadCache } from "./meta/readCache";
import { lifecycleStatements, type LifecycleStatements } from "./lifecycleTx";
import { registryStatements, type RegistryStatements } from "./registryStatements";
import { RegistryTx, type RegistryTxStores } from "./registryTx";

/** Runs registry transactions: one transaction per body, one clock, the read cache forgotten after each. */
export class RegistryWrites {
  private readonly lifecycle: LifecycleStatements;
  private readonly statements: RegistryStatements;

  constructor(
    private readonly runner: Runner,
    private readonly cache: Pick<ReadCache, "clear">,
    private readonly stores: RegistryTxStores,
    private readonly clock: () => number = Date.now,
  ) {
    this.lifecycle = lifecycleStatements(runner);
    this.statements = registryStatements(runner);
  }

  /**
   * `body` runs inside one transaction (SQLite: IMMEDIATE, synchronously; PostgreSQL: its
   * guards lock what they guard); throwing rolls everything back.
   */
  async transact<T>(body: (tx: RegistryTx) => Program<T>): Promise<T> {
    const { stores, clock, lifecycle, statements } = this;
    try {
      return await this.runner.transaction(
        function* (scope) {
          return yield* body(new RegistryTx(scope, stores, clock(), lifecycle, statements));
        },
        { immediate: true },
      );
    } finally {
      // Cached reads (repository by name, manifest by tag) may have changed.
      this.cache.clear();
    }
  }
}
