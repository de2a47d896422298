// Lifecycle steps: the time machine's permanent deletion (API v1's removeTagFromTimemachine) and
// the collector's deletions. Each collection step re-checks, inside its transaction, what made
// its targets garbage when the collector looked (lifecycle/collector.ts has the protocol).
import type { Actor, RepoRef } from "../events/registryEvents";
import type { ManifestCandidate } from "../store/lifecycleTx";
import type { Program } from "../store/dialect/program";
import type { OperationScope } from "./operation";
import type { Ok } from "./outcomes";

/**
 * Takes a tag out of the time machine at once (Quay's remove_tag_from_timemachine): with
 * `alive`, the live tag ends as if it had ended a window ago; otherwise its ended periods at the
 * manifest still in the window are moved past it (immutable ones are skipped, as in Quay). The
 * next collection purges them and frees what only they kept.
 */
export function* removeTagFromTimeMachine(
  op: OperationScope,
  input: { repo: RepoRef; tag: string; alive: boolean; digest?: string; actor: Actor },
): Program<Ok<{ digest: string }>> {
  const { repo, tag, actor } = input;
  const windowMs = yield* op.tx.timeMachineMs(repo.id);
  const outside = op.tx.now - windowMs;
  let digest: string;
  if (input.alive) {
    const facts = yield* op.guard("removeTagFromTimeMachine", { repoId: repo.id, actor, tag, action: "delete" });
    const live = (yield* facts.liveTag()) ?? op.fail({ kind: "notLive", tag });
    yield* op.tx.lifecycle.setPeriodEnd(live.id, outside);
    digest = live.digest;
  } else {
    digest = input.digest ?? op.fail({ kind: "unknownManifest", digest: "" });
    const manifestId = (yield* op.tx.manifestId(repo.id, digest)) ?? op.fail({ kind: "unknownManifest", digest });
    yield* op.guard("removeTagFromTimeMachine", { repoId: repo.id, actor });
    const periods = (yield* op.tx.lifecycle.periodsInTimeMachine(repo.id, tag, manifestId, outside, op.tx.now)).filter((p) => !p.immutable);
    if (periods.length === 0) op.fail({ kind: "notLive", tag });
    // Distinct ends, as Quay writes them (its unique index needs them; ours keeps the order).
    for (const [i, p] of periods.entries()) yield* op.tx.lifecycle.setPeriodEnd(p.id, outside - 1 - i);
  }
  yield* op.tx.touch(repo.id);
  op.emit({ type: "tagRemovedFromTimeMachine", repo, actor, tag, digest });
  return { kind: "ok", digest };
}

/** Deletes up to `limit` tag periods that ended at or before `endedByMs` (past the time machine's window). */
export function* purgeTagPeriods(op: OperationScope, input: { repo: RepoRef; endedByMs: number; limit: number }): Program<Ok<{ purged: number }>> {
  yield* op.guard("collect", { repoId: input.repo.id });
  return { kind: "ok", purged: yield* op.tx.lifecycle.purgePeriods(input.repo.id, input.endedByMs, input.limit) };
}

/**
 * Deletes the candidates nothing keeps any more, in the order given (an index before its
 * children, a subject before its referrers, so one pass frees a whole graph). A candidate that
 * gained a tag, a push, an index or a subject since the collector looked stays.
 */
export function* collectManifests(
  op: OperationScope,
  input: { repo: RepoRef; candidates: ManifestCandidate[]; sinceMs: number; pushedBeforeMs: number; actor: Actor },
): Program<Ok<{ collected: string[] }>> {
  const { repo, sinceMs, pushedBeforeMs } = input;
  yield* op.guard("collect", { repoId: repo.id });
  const collected: string[] = [];
  for (const m of input.candidates) {
    if (yield* op.tx.lifecycle.manifestKept(repo.id, m, sinceMs, pushedBeforeMs)) continue;
    // One at a time: the next candidate's check must see this one gone (it may have been its index).
    yield* op.tx.lifecycle.deleteManifest(m.id);
    collected.push(m.digest);
  }
  if (collected.length) op.emit({ type: "manifestsCollected", repo, actor: input.actor, digests: collected });
  return { kind: "ok", collected };
}

/** Unlinks old links no manifest of the repository names (re-checked here). */
export function* collectBlobLinks(
  op: OperationScope,
  input: { repo: RepoRef; digests: string[]; linkedBeforeMs: number; actor: Actor },
): Program<Ok<{ unlinked: string[] }>> {
  yield* op.guard("collect", { repoId: input.repo.id });
  const unlinked = yield* op.tx.lifecycle.unlinkUnreferenced(input.repo.id, input.digests, input.linkedBeforeMs);
  if (unlinked.length) op.emit({ type: "blobLinksCollected", repo: input.repo, actor: input.actor, digests: unlinked });
  return { kind: "ok", unlinked };
}

/** Deletes blob rows nothing links or names any more (re-checked here); their files go after the commit. */
export function* collectBlobRows(op: OperationScope, input: { digests: string[] }): Program<Ok<{ deleted: { digest: string; size: number }[] }>> {
  return { kind: "ok", deleted: yield* op.tx.lifecycle.deleteUnreferencedBlobs(input.digests) };
}

/**
 * Announces that the collector is about to delete rowless digests' bytes (collector.ts,
 * PROTOCOL 6): answers those announced and when; a digest with a row (its bytes stay) or
 * another collector at it is left out.
 */
export function* announceBlobDeletions(op: OperationScope, input: { digests: string[]; owner: string }): Program<Ok<{ digests: string[]; startedMs: number }>> {
  return { kind: "ok", digests: yield* op.tx.lifecycle.announceBlobDeletions(input.digests, op.tx.now, input.owner), startedMs: op.tx.now };
}

/** The deletions announced at `startedMs` are over (the bytes are gone, or stay). */
export function* endBlobDeletions(op: OperationScope, input: { digests: string[]; startedMs: number }): Program<Ok> {
  yield* op.tx.lifecycle.endBlobDeletions(input.digests, input.startedMs);
  return { kind: "ok" };
}

/** Clears deletions a crashed collector announced and never ended (the file phase deals with their bytes again). */
export function* clearAbandonedDeletions(op: OperationScope, input: { ownerGone: (owner: string) => boolean }): Program<Ok<{ digests: string[] }>> {
  return { kind: "ok", digests: yield* op.tx.lifecycle.clearAbandonedDeletions(op.tx.now, input.ownerGone) };
}

/** Forgets a blob whose bytes are lost or damaged (fsck --repair), so the next push uploads it again. */
export function* forgetLostBlob(op: OperationScope, input: { digest: string }): Program<Ok<{ links: number }>> {
  return { kind: "ok", links: yield* op.tx.lifecycle.forgetLostBlob(input.digest) };
}

/** Corrects a blob row's size to its verified bytes (fsck --repair). */
export function* repairBlobSize(op: OperationScope, input: { digest: string; size: number }): Program<Ok> {
  yield* op.tx.lifecycle.setBlobSize(input.digest, input.size);
  return { kind: "ok" };
}
