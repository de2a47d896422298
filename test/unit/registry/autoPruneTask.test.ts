// The auto-prune pass over fake stores and a fake registry: its clock is the one it is given, it
// runs at most once an interval, deletions go to the registry as the system with the autoprune
// cause, refusals are skipped, and a broken policy does not stop the others.
import { describe, expect, test } from "bun:test";
import { AutoPruneTask, type AutoPruneDeps } from "../../../src/registry/lifecycle/autoPruneTask";
import type { StoredAutoPrunePolicy } from "../../../src/store/meta/autoPrunePolicies";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";

const H = 3_600_000;
const NOW = 1_000 * H;

function fixture(policies: StoredAutoPrunePolicy[], refuse: string[] = []) {
  const calls: unknown[] = [];
  const deps: AutoPruneDeps = {
    policies: {
      namespacesWithPolicies: async () => [{ id: 1, name: "ns" }],
      policiesIn: async () => policies,
      repositoriesIn: async () => [
        { id: 10, name: "ns/a" },
        { id: 11, name: "ns/b" },
      ],
      liveTags: async (repoId) =>
        // t1 is the oldest (10 hours), t4 the newest (7 hours).
        ["t1", "t2", "t3", "t4"].map((name, i) => ({ id: repoId * 100 + i, name, startMs: NOW - (10 - i) * H, immutable: false })),
    },
    registry: {
      deleteTag: async (input) => {
        calls.push(input);
        return refuse.includes(input.tag) ? { kind: "immutable", tag: input.tag, action: "delete" } : { kind: "ok" };
      },
    },
  };
  return { task: new AutoPruneTask(deps), calls };
}

const ns = (config: StoredAutoPrunePolicy["config"]): StoredAutoPrunePolicy => ({ uuid: crypto.randomUUID(), repositoryId: null, config });
const keep = (n: number, tagPattern: string | null = null) => ns({ method: "number_of_tags", value: n, tagPattern, tagPatternMatches: true });

describe("the auto-prune task", () => {
  test("deletes through the registry as the system, with the autoprune cause; refusals are skipped", async () => {
    const { task, calls } = fixture([keep(2)], ["t1"]);
    expect(await task.run(NOW)).toBe("2 tags deleted (2 skipped) in 2 repositories of 1 namespaces");
    expect(calls).toContainEqual({ repo: { id: 10, name: "ns/a" }, tag: "t2", actor: SYSTEM_ACTOR, cause: "autoprune" });
    expect(calls.map((c: any) => `${c.repo.name}:${c.tag}`).sort()).toEqual(["ns/a:t1", "ns/a:t2", "ns/b:t1", "ns/b:t2"]);
  });

  test("age policies run first, and what they deleted is not counted by the count policies", async () => {
    // Age: t3 and t4 older than 7.5 hours: t3 (8 h). Then keep 2 of t1, t2, t4: t1 goes.
    // (Count first would keep t4, t3 and delete t1, t2, then the age policy t3 as well.)
    const { task, calls } = fixture([keep(2), ns({ method: "creation_date", value: "450m", tagPattern: "[34]", tagPatternMatches: true })]);
    await task.run(NOW);
    expect(calls.filter((c: any) => c.repo.id === 10).map((c: any) => c.tag)).toEqual(["t3", "t1"]);
  });

  test("a policy that cannot run is counted as failed; the others still run", async () => {
    const broken = ns({ method: "number_of_tags", value: 1, tagPattern: "(", tagPatternMatches: true });
    const { task, calls } = fixture([broken, keep(3)]);
    expect(await task.run(NOW)).toBe("2 tags deleted (0 skipped) in 2 repositories of 1 namespaces, 2 policies failed");
    expect(calls).toHaveLength(2);
  });
});
