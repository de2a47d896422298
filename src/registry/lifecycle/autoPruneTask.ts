// The auto-prune pass (Quay's autopruneworker): for every namespace with auto-prune policies, each
// repository whose tags may change (state NORMAL) gets the namespace's policies plus its own, age
// policies first, then count policies. Every deletion is an ordinary registry operation
// (Registry.deleteTag as the system, `autoprune_tag_delete` in the audit log), so the guards
// apply: a tag made immutable or a repository made read-only meanwhile is skipped, not an error.
// The ended tags enter the time machine like any deleted tag; collection frees their bytes later.
import { SYSTEM_ACTOR } from "../../events/registryEvents";
import type { AutoPrunePolicyStore, StoredAutoPrunePolicy } from "../../store/meta/autoPrunePolicies";
import type { Registry } from "../registry";
import { choosePruned, policyCovers, pruneOrder, type PruneCandidate } from "../policy/autoPruneRules";
import type { LifecycleTask } from "./scheduler";

export interface AutoPruneDeps {
  policies: Pick<AutoPrunePolicyStore, "namespacesWithPolicies" | "policiesIn" | "repositoriesIn" | "liveTags">;
  registry: Pick<Registry, "deleteTag">;
}

/** Deletions, and tags matched against a pattern, between two yields to the event loop: a long pass must not hold up requests. */
const YIELD_EVERY = 100;
const MATCH_CHUNK = 25;
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Tally {
  repositories: number;
  deleted: number;
  skipped: number;
  failed: number;
}

export class AutoPruneTask implements LifecycleTask {
  readonly name = "autoprune";
  constructor(private readonly deps: AutoPruneDeps) {}

  async run(now: number): Promise<string> {
    const tally: Tally = { repositories: 0, deleted: 0, skipped: 0, failed: 0 };
    const spaces = await this.deps.policies.namespacesWithPolicies();
    for (const ns of spaces) await this.pruneNamespace(ns.id, now, tally);
    const failed = tally.failed ? `, ${tally.failed} policies failed` : "";
    return `${tally.deleted} tags deleted (${tally.skipped} skipped) in ${tally.repositories} repositories of ${spaces.length} namespaces${failed}`;
  }

  private async pruneNamespace(namespaceId: number, now: number, tally: Tally): Promise<void> {
    const all = await this.deps.policies.policiesIn(namespaceId);
    const own = all.filter((p) => p.repositoryId === null);
    const byRepo = new Map<number, StoredAutoPrunePolicy[]>();
    for (const p of all) if (p.repositoryId !== null) byRepo.set(p.repositoryId, [...(byRepo.get(p.repositoryId) ?? []), p]);
    for (const repo of await this.deps.policies.repositoriesIn(namespaceId)) {
      const policies = pruneOrder([...own, ...(byRepo.get(repo.id) ?? [])]);
      if (!policies.length) continue;
      tally.repositories++;
      await this.pruneRepository(repo, policies, now, tally);
      await yieldToRequests();
    }
  }

  private async pruneRepository(repo: { id: number; name: string }, policies: StoredAutoPrunePolicy[], now: number, tally: Tally): Promise<void> {
    let live = await this.deps.policies.liveTags(repo.id, now);
    for (const policy of policies) {
      let doomed: PruneCandidate[];
      try {
        doomed = choosePruned(await this.covered(live, policy), policy.config, now);
      } catch {
        tally.failed++;
        continue;
      }
      for (const tag of doomed) {
        const outcome = await this.deps.registry.deleteTag({ repo, tag: tag.name, actor: SYSTEM_ACTOR, cause: "autoprune" });
        if (outcome.kind === "ok") tally.deleted++;
        else tally.skipped++;
        if ((tally.deleted + tally.skipped) % YIELD_EVERY === 0) await yieldToRequests();
      }
      // Whatever became of them (deleted, or refused: made immutable, gone), the next policy does not count them.
      const gone = new Set(doomed.map((t) => t.id));
      live = live.filter((t) => !gone.has(t.id));
    }
  }

  /** The tags the policy covers, matched a chunk at a time (a repository may hold many tags). */
  private async covered(tags: PruneCandidate[], policy: StoredAutoPrunePolicy): Promise<PruneCandidate[]> {
    const covers = policyCovers(policy.config);
    const out: PruneCandidate[] = [];
    for (let i = 0; i < tags.length; i += MATCH_CHUNK) {
      if (i > 0) await yieldToRequests();
      for (const t of tags.slice(i, i + MATCH_CHUNK)) if (covers(t)) out.push(t);
    }
    return out;
  }
}
