// Blob steps: what changes in the database when a blob arrives, is mounted or is unlinked. The
// bytes themselves are the upload sessions' business (src/store/uploadSessions.ts); a blob that
// reached the blob store but whose link was refused is garbage the collector frees.
import type { Actor, RepoRef } from "../events/registryEvents";
import type { Program } from "../store/dialect/program";
import type { OperationScope } from "./operation";
import type { DeletionUnderWay, Ok } from "./outcomes";

/** A repository may take uploads: checked when a session starts (and again when it finishes, with the blob's bytes). */
export function* startUpload(op: OperationScope, input: { repo: RepoRef; actor?: Actor }): Program<Ok> {
  yield* op.guard("startUpload", { repoId: input.repo.id, actor: input.actor });
  return { kind: "ok" };
}

/**
 * Links a blob whose bytes were just committed to the repository that uploaded it. Not while a
 * collector deletes the digest's bytes (they may be the ones just committed): that answers
 * deletionUnderWay, and the caller tries again once it is over, then makes sure of the bytes.
 */
export function* finishUpload(op: OperationScope, input: { repo: RepoRef; digest: string; size: number; actor: Actor }): Program<Ok<{ size: number }> | DeletionUnderWay> {
  const { repo, digest, size, actor } = input;
  yield* op.guard("finishUpload", { repoId: repo.id, actor, countedBlobs: [{ digest, size }] });
  if (yield* op.tx.blobDeletionUnderWay(digest)) op.fail({ kind: "deletionUnderWay", digest });
  yield* op.tx.linkBlob(repo.id, digest, size);
  yield* op.tx.touch(repo.id);
  op.emit({ type: "blobUploaded", repo, actor, digest, size });
  return { kind: "ok", size };
}

/** Gives the repository a blob another repository has (the caller may read that one). */
export function* mountBlob(op: OperationScope, input: { repo: RepoRef; from: RepoRef; digest: string; actor: Actor }): Program<Ok<{ size: number }>> {
  const { repo, from, digest, actor } = input;
  yield* op.guard("mountBlob", { repoId: repo.id, actor, countedBlobs: [{ digest }] });
  // The source's row stays until the commit: no collector deletes it, or announces its bytes' deletion, meanwhile.
  yield* op.tx.lockBlobDigest(digest);
  const size = (yield* op.tx.linkedBlobSize(from.id, digest)) ?? op.fail({ kind: "unknownBlob", digest });
  yield* op.tx.linkBlob(repo.id, digest, size);
  yield* op.tx.touch(repo.id);
  op.emit({ type: "blobMounted", repo, actor, digest, size, from: from.name });
  return { kind: "ok", size };
}

/** Takes the blob away from the repository; the collector frees its bytes once nothing uses them. */
export function* unlinkBlob(op: OperationScope, input: { repo: RepoRef; digest: string; actor: Actor }): Program<Ok> {
  const { repo, digest, actor } = input;
  yield* op.guard("unlinkBlob", { repoId: repo.id, actor });
  if (!(yield* op.tx.unlinkBlob(repo.id, digest))) op.fail({ kind: "unknownBlob", digest });
  yield* op.tx.touch(repo.id);
  op.emit({ type: "blobUnlinked", repo, actor, digest });
  return { kind: "ok" };
}
