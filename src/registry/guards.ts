// The rules every change to the registry passes, declared in one place: for each step, the
// ordered chain of guards it runs inside its transaction before writing. The first refusal wins
// and nothing is written. The lifecycle adds its guards (quotas, immutability policies) here.
// Deletions and tag moves to stored manifests never add bytes: quotas do not guard them (Quay).
// Guards are steps of the operation's transaction body (`yield*`): what they read, they read
// inside it, the repository's row locked (so on PostgreSQL two writes to one repository take
// turns, as SQLite's single writer makes them).
import type { Actor, QuotaReport } from "../events/registryEvents";
import type { Program } from "../store/dialect/program";
import type { LiveTag, RegistryTx, RepositoryFacts } from "../store/registryTx";
import type { Refusal, TagAction } from "./outcomes";
import { measureQuota } from "./quota";

/** What a step is about to change. */
export interface GuardTarget {
  /** The repository changed (absent while one is being created). */
  repoId?: number;
  /** Who makes the change: in a MIRROR repository only its mirror's robot may write. */
  actor?: Actor;
  /** The tag the step changes. */
  tag?: string;
  /** What is being done to that tag, for the refusal's wording. */
  action?: TagAction;
  /** The manifest a deletion removes (with the tags pointing at it). */
  manifestId?: number;
  /** The expiry being set (null clears it). */
  expiresMs?: number | null;
  /** The immutability being set. */
  immutable?: boolean;
  /** Blobs the step makes count toward its namespace's quota (`size` when their row is not written yet). */
  countedBlobs?: { digest: string; size?: number }[];
}

/**
 * Facts a step's guards read, each read at most once per step and kept for the step's own
 * writes (a guard that read the live tag saves the step reading it again).
 */
export class GuardFacts {
  private repo?: RepositoryFacts | null;
  private live?: LiveTag | null;
  private pointing?: LiveTag[];
  private quota?: QuotaReport | null;

  constructor(
    readonly tx: RegistryTx,
    readonly target: GuardTarget,
    /** The whole registry takes no writes (registryState readonly, Quay's REGISTRY_STATE). */
    readonly registryReadOnly = false,
  ) {}

  /** The target repository, its row locked until the transaction ends (the first thing a write's guards read). */
  *repository(): Program<RepositoryFacts | undefined> {
    if (this.repo === undefined) this.repo = (this.target.repoId !== undefined ? yield* this.tx.lockedRepository(this.target.repoId) : undefined) ?? null;
    return this.repo ?? undefined;
  }

  /** Whether the actor is the robot the repository's mirror pushes as (Quay's check_repository_state). */
  *isMirrorWriter(): Program<boolean> {
    const subject = this.target.actor?.subject;
    if (subject?.kind !== "robot" || this.target.repoId === undefined) return false;
    return (yield* this.tx.mirrorRobot(this.target.repoId)) === subject.name;
  }

  /** The live period of the target tag. */
  *liveTag(): Program<LiveTag | undefined> {
    if (this.target.tag === undefined || this.target.repoId === undefined) return undefined;
    if (this.live === undefined) this.live = (yield* this.tx.liveTag(this.target.repoId, this.target.tag)) ?? null;
    return this.live ?? undefined;
  }

  /** The live tags pointing at the target manifest. */
  *tagsOfManifest(): Program<LiveTag[]> {
    if (this.target.manifestId === undefined) return [];
    this.pointing ??= yield* this.tx.liveTagsOf(this.target.manifestId);
    return this.pointing;
  }

  /**
   * The namespace's usage, with what the step adds, against its quota's limits; undefined when
   * the namespace has no quota with limits (nothing to enforce or notify). Measured under the
   * namespace's quota lock, held to the commit: two steps adding bytes to one namespace measure
   * one after the other.
   */
  *quotaReport(): Program<QuotaReport | undefined> {
    if (this.quota === undefined) {
      const repo = yield* this.repository();
      const quota = repo && (yield* this.tx.quota(repo.namespaceId));
      if (!repo || !quota?.limits.length) this.quota = null;
      else {
        yield* this.tx.lockQuota(repo.namespaceId);
        const usage = (yield* this.tx.namespaceUsage(repo.namespaceId)) + (yield* this.tx.bytesNewToNamespace(repo.namespaceId, this.target.countedBlobs ?? []));
        const namespace = { id: repo.namespaceId, name: repo.fullName.slice(0, repo.fullName.indexOf("/")) };
        this.quota = { namespace, ...measureQuota(quota, usage) };
      }
    }
    return this.quota ?? undefined;
  }

  /** The quota report, if a guard measured one. */
  measuredQuota(): QuotaReport | undefined {
    return this.quota ?? undefined;
  }
}

export type Guard = (facts: GuardFacts) => Program<Refusal | undefined>;

/**
 * A read-only registry (registryState: readonly, for maintenance and for mirrors) takes no change
 * at all: first in every chain, so it answers before any other rule reads a row.
 */
export const registryWritable: Guard = function* (f) {
  return f.registryReadOnly ? { kind: "registryReadOnly" } : undefined;
};

/** The repository still exists (a delete may have overtaken the request). */
export const repositoryExists: Guard = function* (f) {
  return (yield* f.repository()) ? undefined : { kind: "unknownRepository" };
};

/** READ_ONLY repositories take no writes, MIRROR ones only their mirror's (Quay's repository state). */
export const repositoryWritable: Guard = function* (f) {
  const repo = yield* f.repository();
  if (repo?.state === "READ_ONLY") return { kind: "readOnly", repo: repo.fullName };
  if (repo?.state === "MIRROR" && !(yield* f.isMirrorWriter())) return { kind: "mirror", repo: repo.fullName };
  return undefined;
};

/** A proxy-cache organization's repositories hold what its upstream has: only the cache writes there. */
export const proxyCacheWritable: Guard = function* (f) {
  const repo = yield* f.repository();
  if (!repo || f.target.actor?.proxyCache) return undefined;
  return (yield* f.tx.isProxyCacheNamespace(repo.namespaceId)) ? { kind: "proxyCache", repo: repo.fullName } : undefined;
};

/** An immutable tag is not moved, deleted or restored (not even to where it points now, as in Quay). */
export const tagMutable: Guard = function* (f) {
  const live = yield* f.liveTag();
  return live?.immutable ? { kind: "immutable", tag: live.name, action: f.target.action ?? "move" } : undefined;
};

/** A manifest a live immutable tag points at is not deleted. */
export const manifestUnprotected: Guard = function* (f) {
  const guarded = (yield* f.tagsOfManifest()).find((t) => t.immutable);
  return guarded ? { kind: "immutable", tag: guarded.name, action: "delete" } : undefined;
};

/** An expiry must lie ahead; clearing one is always allowed. */
export const expiryAhead: Guard = function* (f) {
  const { expiresMs, tag } = f.target;
  return expiresMs != null && expiresMs <= f.tx.now ? { kind: "expiryInPast", tag: tag ?? "" } : undefined;
};

/** An immutable tag takes no expiry (clearing one is allowed). */
export const expiryOnMutableTag: Guard = function* (f) {
  if (f.target.expiresMs == null) return undefined;
  const live = yield* f.liveTag();
  return live?.immutable ? { kind: "immutable", tag: live.name, action: "set expiration on" } : undefined;
};

/** A tag with an expiry cannot be made immutable (Quay without IMMUTABLE_TAGS_CAN_EXPIRE). */
export const immutableWithoutExpiry: Guard = function* (f) {
  if (f.target.immutable !== true) return undefined;
  const live = yield* f.liveTag();
  return live && live.expiresMs !== null ? { kind: "expiring", tag: live.name } : undefined;
};

/**
 * A push must not take its namespace to a Reject limit (Quay's quota check on blob uploads and
 * manifest pushes, answered 403 "Quota has been exceeded on namespace"). Measured as the step
 * would leave the namespace, inside its transaction: a refused push stores nothing, and two
 * pushes racing for the last bytes cannot both pass. Last in its chains: its measure is then the
 * step's own, reported after commit or refusal (operation.ts).
 */
export const withinQuota: Guard = function* (f) {
  const report = yield* f.quotaReport();
  return report?.severity === "Reject" ? { kind: "quotaExceeded", namespace: report.namespace.name } : undefined;
};

/** Each step's guards, in the order they run. */
export const GUARD_CHAINS = {
  pushManifest: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, tagMutable, withinQuota],
  putTag: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, tagMutable],
  deleteTag: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, tagMutable],
  restoreTag: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, tagMutable],
  setTagExpiry: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, expiryAhead, expiryOnMutableTag],
  // Only the cache itself renews its tags' expiry.
  renewTagExpiry: [registryWritable, repositoryExists, proxyCacheWritable],
  setTagImmutable: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, immutableWithoutExpiry],
  deleteManifest: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, manifestUnprotected],
  startUpload: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, withinQuota],
  finishUpload: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, withinQuota],
  mountBlob: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, withinQuota],
  unlinkBlob: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable],
  // Repository-level changes stay possible in every repository state (an admin must be able to
  // undo READ_ONLY), not in a read-only registry.
  createRepository: [registryWritable],
  deleteRepository: [registryWritable, repositoryExists],
  changeVisibility: [registryWritable, repositoryExists],
  setRepositoryState: [registryWritable, repositoryExists],
  // A new immutability policy marks the live tags it names, read-only repositories' too (as Quay
  // does): it changes no content, only protects it. Tags started later meet the policy in
  // startTagPeriod (tagSteps.ts), inside the push's, move's or restore's own transaction.
  applyImmutabilityPolicy: [registryWritable],
  // Permanent deletion from the time machine: a write like deleting the tag.
  removeTagFromTimeMachine: [registryWritable, repositoryExists, repositoryWritable, proxyCacheWritable, tagMutable],
  // The collector's deletions (their re-checks are the rules): in every repository state, as Quay's GC; never
  // in a read-only registry, whose lifecycle does not run (as Quay's workers).
  collect: [registryWritable, repositoryExists],
} as const satisfies Record<string, readonly Guard[]>;

export type StepName = keyof typeof GUARD_CHAINS;

/** Runs the step's chain; the first refusal, or undefined when every guard passed. */
export function* checkGuards(step: StepName, facts: GuardFacts): Program<Refusal | undefined> {
  for (const guard of GUARD_CHAINS[step]) {
    const refusal = yield* guard(facts);
    if (refusal) return refusal;
  }
  return undefined;
}
