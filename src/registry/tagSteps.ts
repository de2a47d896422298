// Tag steps: create or move, delete, restore, expiry, immutability, and the label-driven
// effects of a push. Each runs its guard chain first (guards.ts), writes through the
// transaction, and queues one event.
import { SYSTEM_ACTOR, type Actor, type RepoRef } from "../events/registryEvents";
import type { LabelEffects } from "../oci";
import type { Program } from "../store/dialect/program";
import type { OperationScope } from "./operation";
import type { Ok } from "./outcomes";
import { immutableByRules } from "./policy/immutabilityRules";

export interface TagInput {
  repo: RepoRef;
  tag: string;
  actor: Actor;
}

const OK: Ok = { kind: "ok" };

/**
 * Starts a period of the tag at the manifest (the caller ended the live one). A tag an
 * immutability policy names starts immutable, in the same transaction (Quay's retarget_tag), so
 * no moment exists where the pushed tag could be moved or deleted.
 */
export function* startTagPeriod(op: OperationScope, repo: RepoRef, tag: string, manifestId: number): Program<void> {
  const immutable = immutableByRules(yield* op.tx.immutabilityRules(repo.id), tag);
  yield* op.tx.startTag(repo.id, tag, manifestId, immutable);
  // The policy did it, not the caller: Quay's entry has no performer.
  if (immutable) op.emit({ type: "tagImmutabilityChanged", repo, actor: SYSTEM_ACTOR, tag, immutable: true, byPolicy: true });
}

/** Points the tag at a manifest of the repository, creating it or moving it (its history kept). */
export function* putTag(op: OperationScope, input: TagInput & { digest: string }): Program<Ok> {
  const { repo, tag, digest, actor } = input;
  // The manifest must exist before anything is said about the tag (Quay answers 404 first).
  const manifestId = (yield* op.tx.manifestId(repo.id, digest)) ?? op.fail({ kind: "unknownManifest", digest });
  const facts = yield* op.guard("putTag", { repoId: repo.id, actor, tag, action: "move" });
  const live = yield* facts.liveTag();
  if (live?.manifestId === manifestId) return OK;
  if (live) yield* op.tx.endTag(live.id);
  yield* startTagPeriod(op, repo, tag, manifestId);
  yield* op.tx.touch(repo.id);
  op.emit(
    live
      ? { type: "tagMoved", repo, actor, tag, digest, previousDigest: live.digest }
      : { type: "tagCreated", repo, actor, tag, digest },
  );
  return OK;
}

/** Ends the tag's live period; the manifest and the tag's history stay. `cause`: who asked, when not a caller. */
export function* deleteTag(op: OperationScope, input: TagInput & { cause?: "autoprune" }): Program<Ok> {
  const { repo, tag, actor, cause } = input;
  const facts = yield* op.guard("deleteTag", { repoId: repo.id, actor, tag, action: "delete" });
  const live = (yield* facts.liveTag()) ?? op.fail({ kind: "notLive", tag });
  yield* op.tx.endTag(live.id);
  yield* op.tx.touch(repo.id);
  op.emit({ type: "tagDeleted", repo, actor, tag, digest: live.digest, ...(cause ? { cause } : {}) });
  return OK;
}

/** Points the tag back at a manifest it pointed at in a period still in the time machine. */
export function* restoreTag(op: OperationScope, input: TagInput & { digest: string }): Program<Ok> {
  const { repo, tag, digest, actor } = input;
  const manifestId = yield* op.tx.manifestId(repo.id, digest);
  // Only a period still in the time machine can be restored (live, or ended within the window).
  const since = op.tx.now - (yield* op.tx.timeMachineMs(repo.id));
  if (manifestId === undefined || !(yield* op.tx.tagPointedAt(repo.id, tag, manifestId, since))) op.fail({ kind: "unknownManifest", digest });
  const facts = yield* op.guard("restoreTag", { repoId: repo.id, actor, tag, action: "restore" });
  const live = yield* facts.liveTag();
  if (live?.manifestId !== manifestId) {
    if (live) yield* op.tx.endTag(live.id);
    yield* startTagPeriod(op, repo, tag, manifestId);
    yield* op.tx.touch(repo.id);
  }
  op.emit({ type: "tagRestored", repo, actor, tag, digest, ...(live ? { previousDigest: live.digest } : {}) });
  return OK;
}

/**
 * A proxy cache renews a cached tag's expiry (Quay's set_tag_end_ms when a pull is served): later
 * only, on a live mutable tag. No event: Quay logs none, and it happens on pulls.
 */
export function* renewTagExpiry(op: OperationScope, input: TagInput & { expiresMs: number }): Program<Ok> {
  const { repo, tag, actor, expiresMs } = input;
  const facts = yield* op.guard("renewTagExpiry", { repoId: repo.id, actor, tag });
  const live = (yield* facts.liveTag()) ?? op.fail({ kind: "notLive", tag });
  if (!live.immutable && (live.expiresMs === null || live.expiresMs < expiresMs)) yield* op.tx.setTagExpiry(live.id, expiresMs);
  return OK;
}

/**
 * renewTagExpiry for a batch of pulls in one transaction; a tag no longer live is passed over.
 * Repositories are locked in id order: two batches at once on PostgreSQL never wait on each other in a circle.
 */
export function* renewTagExpiries(op: OperationScope, input: { renewals: { repo: RepoRef; tag: string; expiresMs: number }[]; actor: Actor }): Program<Ok> {
  for (const { repo, tag, expiresMs } of input.renewals.toSorted((a, b) => a.repo.id - b.repo.id)) {
    const live = yield* (yield* op.guard("renewTagExpiry", { repoId: repo.id, actor: input.actor, tag })).liveTag();
    if (live && !live.immutable && (live.expiresMs === null || live.expiresMs < expiresMs)) yield* op.tx.setTagExpiry(live.id, expiresMs);
  }
  return OK;
}

/** Sets (or, with null, clears) the live tag's expiry. */
export function* setTagExpiry(op: OperationScope, input: TagInput & { expiresMs: number | null }): Program<Ok> {
  const { repo, tag, expiresMs, actor } = input;
  const facts = yield* op.guard("setTagExpiry", { repoId: repo.id, actor, tag, expiresMs });
  const live = (yield* facts.liveTag()) ?? op.fail({ kind: "notLive", tag });
  yield* op.tx.setTagExpiry(live.id, expiresMs);
  // Clearing an expiry that was never set changes nothing worth telling.
  if (expiresMs !== null || live.expiresMs !== null) {
    op.emit({ type: "tagExpiryChanged", repo, actor, tag, expiresMs, previousExpiresMs: live.expiresMs });
  }
  return OK;
}

/** Marks the live tag immutable, or mutable again (who may clear the flag is perm's rule). */
export function* setTagImmutable(op: OperationScope, input: TagInput & { immutable: boolean }): Program<Ok> {
  const { repo, tag, immutable, actor } = input;
  const facts = yield* op.guard("setTagImmutable", { repoId: repo.id, actor, tag, immutable });
  const live = (yield* facts.liveTag()) ?? op.fail({ kind: "notLive", tag });
  yield* op.tx.setTagImmutable(live.id, immutable);
  op.emit({ type: "tagImmutabilityChanged", repo, actor, tag, immutable });
  return OK;
}

/** What API v1's tag PUT asks for, any subset of it. */
export interface TagChange {
  /** Points the tag at this manifest (create or move). */
  digest?: string;
  /** Sets (number) or clears (null) the expiry. */
  expiresMs?: number | null;
  immutable?: boolean;
}

/**
 * Several changes to one tag, all or nothing, in Quay's order: lifting immutability first (so one
 * request can unlock and move), then the expiry, then the move, then setting immutability.
 */
export function* changeTag(op: OperationScope, input: TagInput & { change: TagChange }): Program<Ok> {
  const { change } = input;
  if (change.immutable === false) yield* setTagImmutable(op, { ...input, immutable: false });
  if (change.expiresMs !== undefined) yield* setTagExpiry(op, { ...input, expiresMs: change.expiresMs });
  if (change.digest !== undefined) yield* putTag(op, { ...input, digest: change.digest });
  if (change.immutable === true) yield* setTagImmutable(op, { ...input, immutable: true });
  return OK;
}

/**
 * Applies label effects to the live tags pointing at a manifest. Immutability first: an image
 * asking for both keeps its tags rather than letting them expire (an immutable tag takes no expiry).
 */
export function* applyLabelEffects(
  op: OperationScope,
  input: { repo: RepoRef; digest: string; effects: LabelEffects; actor: Actor },
): Program<Ok<{ immutableTags: string[]; expiringTags: string[] }>> {
  const { repo, digest, effects, actor } = input;
  const manifestId = yield* op.tx.manifestId(repo.id, digest);
  const immutableTags: string[] = [];
  const expiringTags: string[] = [];
  if (manifestId === undefined) return { kind: "ok", immutableTags, expiringTags };
  for (const live of yield* op.tx.liveTagsOf(manifestId)) {
    if (effects.immutable && !live.immutable && live.expiresMs === null) {
      yield* setTagImmutable(op, { repo, tag: live.name, immutable: true, actor });
      immutableTags.push(live.name);
    } else if (effects.expiresAfterMs !== undefined && !live.immutable) {
      const expiresMs = live.startMs + effects.expiresAfterMs;
      // A label whose duration has already run out ends the tag now rather than being refused.
      yield* setTagExpiry(op, { repo, tag: live.name, expiresMs: Math.max(expiresMs, op.tx.now + 1), actor });
      expiringTags.push(live.name);
    }
  }
  return { kind: "ok", immutableTags, expiringTags };
}
