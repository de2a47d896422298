// Policy steps: what a new or changed immutability policy does to the tags already there. Quay
// applies it retroactively (apply_immutability_policy_to_existing_tags): every live tag the policy
// names becomes immutable and loses its expiry. Done in batches, one transaction each, so a large
// namespace never holds the write lock for long; a tag started meanwhile already met the policy
// (startTagPeriod reads the stored policies).
import type { Program } from "../store/dialect/program";
import type { OperationScope } from "./operation";
import type { Ok } from "./outcomes";
import { ruleNames, type ImmutabilityRule } from "./policy/immutabilityRules";

export interface PolicyTarget {
  namespaceId: number;
  /** Null: every repository of the namespace. */
  repositoryId: number | null;
}

/** One batch: the live tags after `afterId` (by id) that the rule names are made immutable. */
export function* markByImmutabilityRule(
  op: OperationScope,
  input: { target: PolicyTarget; rule: ImmutabilityRule; afterId: number; limit: number },
): Program<Ok<{ marked: number; lastId: number | undefined }>> {
  yield* op.guard("applyImmutabilityPolicy", {});
  const batch = yield* op.tx.liveTagsAfter(input.target, input.afterId, input.limit);
  const ids = batch.filter((t) => !t.immutable && ruleNames(input.rule, t.name)).map((t) => t.id);
  yield* op.tx.makeImmutable(ids);
  return { kind: "ok", marked: ids.length, lastId: batch.length === input.limit ? batch[batch.length - 1]!.id : undefined };
}
