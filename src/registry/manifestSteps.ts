// Manifest steps: a push (with or without a tag) and a deletion by digest.
import type { Actor, RepoRef } from "../events/registryEvents";
import type { Program } from "../store/dialect/program";
import type { NewManifestRow } from "../store/registryTx";
import type { OperationScope } from "./operation";
import type { Ok } from "./outcomes";
import { startTagPeriod } from "./tagSteps";

export interface PushManifestInput {
  repo: RepoRef;
  manifest: NewManifestRow;
  /** The blobs that must be in the repository (all it names but foreign layers). */
  requiredBlobs: string[];
  /**
   * The child manifests it names need not be here: a proxy cache's copy (they come when a client
   * asks for them) or a mirror's index filtered by architecture (Quay's sparse index).
   */
  onDemand?: boolean;
  /** The tag named by the request, moved to this manifest. */
  tag?: string;
  actor: Actor;
}

/**
 * Stores the manifest (once per repository and digest) and, with a tag, points the tag at it.
 * The blobs and child manifests it names are checked inside the same transaction, so a collector
 * cannot take one away between the check and the insert.
 */
export function* pushManifest(op: OperationScope, input: PushManifestInput): Program<Ok> {
  const { repo, manifest, tag, actor } = input;
  const countedBlobs = manifest.blobDigests.map((digest) => ({ digest }));
  const facts = yield* op.guard("pushManifest", { repoId: repo.id, actor, tag, action: "push over", countedBlobs });
  const missingBlob = yield* op.tx.missingBlob(repo.id, input.requiredBlobs);
  if (missingBlob) op.fail({ kind: "missingBlob", digest: missingBlob });
  const missingChild = input.onDemand ? undefined : yield* op.tx.missingManifest(repo.id, manifest.childDigests);
  if (missingChild) op.fail({ kind: "missingChild", digest: missingChild });
  const manifestId = yield* op.tx.insertManifest(repo.id, manifest);
  if (tag !== undefined) {
    const live = yield* facts.liveTag();
    if (live?.manifestId !== manifestId) {
      if (live) yield* op.tx.endTag(live.id);
      yield* startTagPeriod(op, repo, tag, manifestId);
    }
  }
  yield* op.tx.touch(repo.id);
  op.emit({ type: "manifestPushed", repo, actor, digest: manifest.digest, mediaType: manifest.mediaType, ...(tag !== undefined ? { tag } : {}) });
  return { kind: "ok" };
}

/** Deletes the manifest and every tag (live or historical) that pointed at it. */
export function* deleteManifest(op: OperationScope, input: { repo: RepoRef; digest: string; actor: Actor }): Program<Ok<{ tags: string[] }>> {
  const { repo, digest, actor } = input;
  const manifestId = (yield* op.tx.manifestId(repo.id, digest)) ?? op.fail({ kind: "unknownManifest", digest });
  const facts = yield* op.guard("deleteManifest", { repoId: repo.id, actor, manifestId });
  const tags = (yield* facts.tagsOfManifest()).map((t) => t.name);
  yield* op.tx.deleteManifest(manifestId);
  yield* op.tx.touch(repo.id);
  op.emit({ type: "manifestDeleted", repo, actor, digest, tags });
  return { kind: "ok", tags };
}
