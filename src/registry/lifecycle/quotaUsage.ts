// The lifecycle pass that reconciles quota usage: every namespace's maintained figure (kept by the
// database at each write) is compared with a recomputation from the base tables and rebuilt where
// they differ. It should never find anything; if it does, the log says which namespace drifted
// by how much, and enforcement uses the repaired figure from then on. Runs after collection, so
// the figures it checks are those collection left.
import type { QuotaUsageStore } from "../../store/meta/quotaUsage";
import type { LifecycleTask } from "./scheduler";

export function quotaUsageTask(usage: Pick<QuotaUsageStore, "reconcile">): LifecycleTask {
  return {
    name: "quota usage",
    async run() {
      const { checked, drifted } = await usage.reconcile();
      const repaired = drifted.map((d) => `namespace ${d.namespaceId}: ${d.maintained} → ${d.actual} bytes`);
      return `${checked} namespaces checked, ${drifted.length} repaired${repaired.length ? ` (${repaired.join(", ")})` : ""}`;
    },
  };
}
