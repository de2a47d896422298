// The registry core: every change to registry state, from either API, the CLI or a listener, is
// one of these operations. Each is one transaction running its guard chain (guards.ts), answers
// a typed outcome (outcomes.ts) and emits its events after the commit (operation.ts).
//
// Operations are async at this boundary. Their bodies are generators (operation.ts): run
// synchronously inside a SQLite transaction (an async body would commit at its first await),
// awaited step by step inside a PostgreSQL one.
import { SYSTEM_ACTOR as SYSTEM_ACTOR_VALUE, type Actor, type ManifestPulled, type QuotaReport, type RegistryEvents, type RepoRef, type RepositoryState } from "../events/registryEvents";
import type { Digest, LabelEffects } from "../oci";
import type { RegistryWrites } from "../store/registryWrites";
import type { FinishOutcome, StartOutcome, UploadSessions } from "../store/uploadSessions";
import type { ManifestCandidate } from "../store/lifecycleTx";
import * as blobSteps from "./blobSteps";
import * as manifestSteps from "./manifestSteps";
import { runOperation, type OperationBody, type OperationDeps } from "./operation";
import type { Program } from "../store/dialect/program";
import { BLOB_DELETION_ABANDONED_MS } from "../store/blobDeletions";
import type { BlobOutcome, CreateRepositoryOutcome, DeletionUnderWay, DeleteManifestOutcome, NotLive, Ok, PushManifestOutcome, Refusal, RepositoryOutcome, TagOutcome, UnknownManifest } from "./outcomes";
import { measureQuota } from "./quota";
import * as lifecycleSteps from "./lifecycleSteps";
import * as repositorySteps from "./repositorySteps";
import * as tagSteps from "./tagSteps";
import * as policySteps from "./policySteps";
import type { ImmutabilityRule } from "./policy/immutabilityRules";

export type { TagChange } from "./tagSteps";
export type { Actor, RepoRef } from "../events/registryEvents";
export { SYSTEM_ACTOR } from "../events/registryEvents";
export type { PushManifestInput } from "./manifestSteps";
export type { CreateRepositoryInput } from "./repositorySteps";

export interface RegistryDeps {
  writes: RegistryWrites;
  events: RegistryEvents;
  uploads: UploadSessions;
  /** registryState readonly (Quay's REGISTRY_STATE): every operation is refused with registryReadOnly. */
  readOnly?: boolean;
}

type TagInput = tagSteps.TagInput;
type Body = ReadableStream<Uint8Array> | null;
type Range = { start: number; end: number } | undefined;

/** An upload that finished: the session's own failures, or the registry's outcome of linking the blob. */
export type FinishUploadOutcome = Exclude<FinishOutcome, { kind: "ok" }> | Extract<StartOutcome, { kind: "tooMany" }> | BlobOutcome;
export type StartUploadOutcome = StartOutcome | Refusal;

export class Registry {
  private readonly ops: OperationDeps;

  constructor(private readonly deps: RegistryDeps) {
    this.ops = { writes: deps.writes, events: deps.events, readOnly: deps.readOnly };
  }

  async pushManifest(input: manifestSteps.PushManifestInput): Promise<PushManifestOutcome> {
    return this.run((op) => manifestSteps.pushManifest(op, input));
  }

  async deleteManifest(input: { repo: RepoRef; digest: string; actor: Actor }): Promise<DeleteManifestOutcome> {
    return this.run((op) => manifestSteps.deleteManifest(op, input));
  }

  async putTag(input: TagInput & { digest: string }): Promise<TagOutcome> {
    return this.run((op) => tagSteps.putTag(op, input));
  }

  async deleteTag(input: TagInput & { cause?: "autoprune" }): Promise<TagOutcome> {
    return this.run((op) => tagSteps.deleteTag(op, input));
  }

  async restoreTag(input: TagInput & { digest: string }): Promise<TagOutcome> {
    return this.run((op) => tagSteps.restoreTag(op, input));
  }

  async setTagExpiry(input: TagInput & { expiresMs: number | null }): Promise<TagOutcome> {
    return this.run((op) => tagSteps.setTagExpiry(op, input));
  }

  /** A proxy cache's renewal of a cached tag's expiry (later only, no event). */
  async renewTagExpiry(input: TagInput & { expiresMs: number }): Promise<TagOutcome> {
    return this.run((op) => tagSteps.renewTagExpiry(op, input));
  }

  /** Many renewals in one transaction (a batch of pulls; every transaction clears the read cache). */
  async renewTagExpiries(input: { renewals: { repo: RepoRef; tag: string; expiresMs: number }[]; actor: Actor }): Promise<Ok | Refusal> {
    return this.run((op) => tagSteps.renewTagExpiries(op, input));
  }

  async setTagImmutable(input: TagInput & { immutable: boolean }): Promise<TagOutcome> {
    return this.run((op) => tagSteps.setTagImmutable(op, input));
  }

  /** Several changes to one tag (API v1's tag PUT), all or nothing. */
  async changeTag(input: TagInput & { change: tagSteps.TagChange }): Promise<TagOutcome> {
    return this.run((op) => tagSteps.changeTag(op, input));
  }

  /** A pushed image's `quay.immutable` / `quay.expires-after` labels, applied to its live tags. */
  async applyLabelEffects(input: { repo: RepoRef; digest: string; effects: LabelEffects; actor: Actor }) {
    return this.run((op) => tagSteps.applyLabelEffects(op, input));
  }

  /**
   * Applies a new or changed immutability policy to the live tags it names (one transaction per
   * batch of `batchSize` tags); answers how many became immutable.
   */
  async applyImmutabilityPolicy(input: { target: policySteps.PolicyTarget; rule: ImmutabilityRule; batchSize?: number }): Promise<Ok<{ marked: number }> | Refusal> {
    let marked = 0;
    let afterId: number | undefined = 0;
    while (afterId !== undefined) {
      const batch = await this.run<Ok<{ marked: number; lastId: number | undefined }> | Refusal>((op) =>
        policySteps.markByImmutabilityRule(op, { target: input.target, rule: input.rule, afterId: afterId!, limit: input.batchSize ?? 500 }),
      );
      if (batch.kind !== "ok") return batch;
      marked += batch.marked;
      afterId = batch.lastId;
    }
    return { kind: "ok", marked };
  }

  /** Opens an upload session (refused for a read-only repository or past the owner's cap). */
  async startUpload(input: { repo: RepoRef; owner?: string; actor?: Actor }): Promise<StartUploadOutcome> {
    const allowed = await this.run<Ok | Refusal>((op) => blobSteps.startUpload(op, input));
    if (allowed.kind !== "ok") return allowed;
    return this.deps.uploads.start(input.repo.id, { owner: input.owner });
  }

  /** Closes a session with its last bytes; the blob is linked to the repository in its own transaction. */
  async finishUpload(input: { repo: RepoRef; session: string; digest: Digest; body: Body; range: Range; actor: Actor }): Promise<FinishUploadOutcome> {
    let linked: BlobOutcome | undefined;
    const finished = await this.deps.uploads.finish(input.repo.id, input.session, input.digest, input.body, input.range, async (size) => {
      linked = await this.linkUploaded(input.repo, input.digest.value, size, input.actor);
      return linked.kind === "ok";
    });
    return finished.kind === "ok" ? linked! : finished;
  }

  /** A whole blob in one request (POST ?digest=). */
  async putMonolithic(input: { repo: RepoRef; digest: Digest; body: Body; owner?: string; actor: Actor }): Promise<FinishUploadOutcome> {
    const allowed = await this.run<Ok | Refusal>((op) => blobSteps.startUpload(op, input));
    if (allowed.kind !== "ok") return allowed;
    let linked: BlobOutcome | undefined;
    const finished = await this.deps.uploads.putMonolithic(input.repo.id, input.digest, input.body, input.owner, async (size) => {
      linked = await this.linkUploaded(input.repo, input.digest.value, size, input.actor);
      return linked.kind === "ok";
    });
    return finished.kind === "ok" ? linked! : finished;
  }

  async mountBlob(input: { repo: RepoRef; from: RepoRef; digest: string; actor: Actor }): Promise<BlobOutcome> {
    return this.run((op) => blobSteps.mountBlob(op, input));
  }

  async unlinkBlob(input: { repo: RepoRef; digest: string; actor: Actor }): Promise<Ok | Refusal | { kind: "unknownBlob"; digest: string }> {
    return this.run((op) => blobSteps.unlinkBlob(op, input));
  }

  async createRepository(input: repositorySteps.CreateRepositoryInput): Promise<CreateRepositoryOutcome> {
    return this.run((op) => repositorySteps.createRepository(op, input));
  }

  async deleteRepository(input: { repo: RepoRef; actor: Actor }): Promise<RepositoryOutcome> {
    return this.run((op) => repositorySteps.deleteRepository(op, input));
  }

  async changeVisibility(input: { repo: RepoRef; visibility: "private" | "public"; actor: Actor }): Promise<RepositoryOutcome> {
    return this.run((op) => repositorySteps.changeVisibility(op, input));
  }

  async setRepositoryState(input: { repo: RepoRef; state: RepositoryState; actor: Actor }): Promise<RepositoryOutcome> {
    return this.run((op) => repositorySteps.setRepositoryState(op, input));
  }

  /**
   * Measures the namespace's usage against its quota now and tells the listeners (Quay notifies
   * at once when new limits are already reached). Undefined when it has no quota with limits.
   */
  async recheckQuota(namespace: { id: number; name: string }): Promise<QuotaReport | undefined> {
    const report = await this.deps.writes.transact(function* (tx): Program<QuotaReport | undefined> {
      const quota = yield* tx.quota(namespace.id);
      return quota?.limits.length ? { namespace, ...measureQuota(quota, yield* tx.namespaceUsage(namespace.id)) } : undefined;
    });
    if (report) this.deps.events.quotaChecked({ report, refused: false, actual: true });
    return report;
  }

  /** Takes a tag out of the time machine at once (API v1's removeTagFromTimemachine). */
  async removeTagFromTimeMachine(input: TagInput & { alive: boolean; digest?: string }): Promise<Ok<{ digest: string }> | Refusal | NotLive | UnknownManifest> {
    return this.run((op) => lifecycleSteps.removeTagFromTimeMachine(op, input));
  }

  // The collector's steps (lifecycle/collector.ts): each one small transaction that re-checks.

  async purgeTagPeriods(input: { repo: RepoRef; endedByMs: number; limit: number }): Promise<Ok<{ purged: number }> | Refusal> {
    return this.run((op) => lifecycleSteps.purgeTagPeriods(op, input));
  }

  async collectManifests(input: { repo: RepoRef; candidates: ManifestCandidate[]; sinceMs: number; pushedBeforeMs: number; actor: Actor }): Promise<Ok<{ collected: string[] }> | Refusal> {
    return this.run((op) => lifecycleSteps.collectManifests(op, input));
  }

  async collectBlobLinks(input: { repo: RepoRef; digests: string[]; linkedBeforeMs: number; actor: Actor }): Promise<Ok<{ unlinked: string[] }> | Refusal> {
    return this.run((op) => lifecycleSteps.collectBlobLinks(op, input));
  }

  async collectBlobRows(input: { digests: string[] }): Promise<Ok<{ deleted: { digest: string; size: number }[] }>> {
    return this.run((op) => lifecycleSteps.collectBlobRows(op, input));
  }

  /** Before the collector deletes rowless digests' bytes (PROTOCOL 6): those it may delete, and the announcements' time. */
  async announceBlobDeletions(input: { digests: string[]; owner: string }): Promise<{ digests: string[]; startedMs: number }> {
    return this.run((op) => lifecycleSteps.announceBlobDeletions(op, input));
  }

  async endBlobDeletions(input: { digests: string[]; startedMs: number }): Promise<void> {
    await this.run((op) => lifecycleSteps.endBlobDeletions(op, input));
  }

  /** Deletions a crashed collector announced and never ended (too old, or `ownerGone`), cleared; answers their digests. */
  async clearAbandonedDeletions(input: { ownerGone: (owner: string) => boolean }): Promise<string[]> {
    return (await this.run((op) => lifecycleSteps.clearAbandonedDeletions(op, input))).digests;
  }

  /** fsck --repair: forgets a blob whose bytes are lost or damaged, so the next push uploads it again. */
  async forgetLostBlob(input: { digest: string }): Promise<Ok<{ links: number }>> {
    return this.run((op) => lifecycleSteps.forgetLostBlob(op, input));
  }

  /** fsck --repair: a blob row's size corrected to its verified bytes. */
  async repairBlobSize(input: { digest: string; size: number }): Promise<Ok> {
    return this.run((op) => lifecycleSteps.repairBlobSize(op, input));
  }

  /** Whether the whole registry is read-only (the APIs refuse writes that reach no operation, e.g. upload bytes). */
  get readOnly(): boolean {
    return this.deps.readOnly === true;
  }

  /** A mirror's sync began or ended (its changes are the operations it ran): only the event, for the audit log and notifications. */
  mirrorSyncReported(input: { repo: RepoRef; phase: "started" | "success" | "failed"; message: string; tags?: string }): void {
    void this.deps.events.emit({ type: "mirrorSync", actor: SYSTEM_ACTOR_VALUE, ...input });
  }

  /** A manifest was served (not a change of state: no transaction, only the event, for the audit log). */
  manifestPulled(event: ManifestPulled): void {
    this.deps.events.manifestPulled(event);
  }

  /**
   * Links an uploaded blob, waiting while a collector deletes the digest's bytes (an announcement
   * older than BLOB_DELETION_ABANDONED_MS is taken over, so the wait ends by itself). The upload
   * session then makes sure the bytes are there (UploadSessions.finish).
   */
  private async linkUploaded(repo: RepoRef, digest: string, size: number, actor: Actor): Promise<BlobOutcome> {
    const giveUpAt = Date.now() + 2 * BLOB_DELETION_ABANDONED_MS;
    for (let pause = 5; ; pause = Math.min(pause * 2, 250)) {
      const outcome = await this.run<BlobOutcome | DeletionUnderWay>((op) => blobSteps.finishUpload(op, { repo, digest, size, actor }));
      if (outcome.kind !== "deletionUnderWay") return outcome;
      if (Date.now() > giveUpAt) throw new Error(`${digest}: a deletion of its bytes is still announced after ${2 * BLOB_DELETION_ABANDONED_MS} ms`);
      await Bun.sleep(pause);
    }
  }

  private run<T extends { kind: string }>(body: OperationBody<T>): Promise<T> {
    return runOperation(this.ops, body);
  }
}
