// What the registry tells the rest of Berth after a change to its state commits (and after each
// manifest pull): the audit log, notifications and push-time labels listen here, the same way
// whichever API made the change, so handlers never coordinate them.
import type { Logger } from "../log";

/** Who a credential names, as the API layer established it (listeners resolve accounts by name). */
export type ActorSubject =
  | { kind: "user"; name: string; appTokenUuid?: string; oauthTokenUuid?: string; viaOAuth?: boolean }
  | { kind: "robot"; name: string };

/** Who made a change, and from where. */
export interface Actor {
  /** Absent for anonymous callers (`--auth none`) and the system itself. */
  subject?: ActorSubject;
  /** The client's address ("unknown" when the server could not tell). */
  ip?: string;
  userAgent?: string;
  /** The proxy cache storing what it fetched: the only writer in a proxy-cache organization. */
  proxyCache?: true;
}

export const SYSTEM_ACTOR: Actor = {};

/** A repository as events name it. */
export interface RepoRef {
  id: number;
  /** ns/name as stored. */
  name: string;
}

interface Base {
  repo: RepoRef;
  actor: Actor;
}

export type RegistryEvent =
  | (Base & { type: "manifestPushed"; digest: string; mediaType: string; tag?: string })
  /** A manifest deleted by digest, with the live tags that went with it. */
  | (Base & { type: "manifestDeleted"; digest: string; tags: string[] })
  | (Base & { type: "tagCreated"; tag: string; digest: string })
  | (Base & { type: "tagMoved"; tag: string; digest: string; previousDigest: string })
  /** `cause` "autoprune": ended by an auto-prune policy (the system, not a caller). */
  | (Base & { type: "tagDeleted"; tag: string; digest: string; cause?: "autoprune" })
  | (Base & { type: "tagRestored"; tag: string; digest: string; previousDigest?: string })
  | (Base & { type: "tagExpiryChanged"; tag: string; expiresMs: number | null; previousExpiresMs: number | null })
  /** `byPolicy`: an immutability policy made the tag immutable as it started (pushed, created, moved, restored). */
  | (Base & { type: "tagImmutabilityChanged"; tag: string; immutable: boolean; byPolicy?: true })
  | (Base & { type: "blobUploaded"; digest: string; size: number })
  | (Base & { type: "blobMounted"; digest: string; size: number; from: string })
  | (Base & { type: "blobUnlinked"; digest: string })
  | (Base & { type: "repositoryCreated"; visibility: "private" | "public" })
  | (Base & { type: "repositoryDeleted" })
  | (Base & { type: "visibilityChanged"; visibility: "private" | "public" })
  | (Base & { type: "repositoryStateChanged"; state: RepositoryState })
  /** Ended periods (or the live one) of a tag taken out of the time machine at once (Quay's permanent tag deletion). */
  | (Base & { type: "tagRemovedFromTimeMachine"; tag: string; digest: string })
  /** Manifests the collector deleted: nothing kept them (no tag, time machine, index or subject). */
  | (Base & { type: "manifestsCollected"; digests: string[] })
  /** Links the collector removed: old, and no manifest of the repository names the blob. */
  | (Base & { type: "blobLinksCollected"; digests: string[] })
  /** A repository mirror's sync began or ended (Quay's repomirrorworker emit_log); `tags` what it copied. */
  | (Base & { type: "mirrorSync"; phase: "started" | "success" | "failed"; message: string; tags?: string });

export type RepositoryState = "NORMAL" | "READ_ONLY" | "MIRROR";

export type RegistryEventType = RegistryEvent["type"];
export type EventOf<T extends RegistryEventType> = Extract<RegistryEvent, { type: T }>;

/** A namespace's storage measured against its quota's limits (Quay's check_limits). */
export interface QuotaReport {
  namespace: { id: number; name: string };
  /** The highest limit the usage reaches, or null when it reaches none. */
  severity: "Warning" | "Reject" | null;
  /** That limit's percent of the quota. */
  thresholdPercent: number | null;
  /** Bytes used; for a push, as the push would leave it. */
  usageBytes: number;
  /** The quota's bytes. */
  quotaBytes: number;
}

/**
 * A quota was measured: by a push step that counts toward it (after it committed, or when the
 * quota refused it), or because the quota's limits changed. Not a change of state: kept apart,
 * like pulls; notifications listen (quota_warning, quota_error).
 */
export interface QuotaChecked {
  report: QuotaReport;
  /** The step was refused for it. */
  refused: boolean;
  /**
   * The report's usage is the namespace's own (a committed manifest push, a measure that adds
   * nothing), not a projection: a refused push, or an upload or mount whose blob no manifest names yet.
   */
  actual: boolean;
}

/** A pull: not a change of state, and the hottest path there is (kept apart, and cheap). */
export interface ManifestPulled {
  repo: string;
  repoId: number;
  digest: string;
  mediaType: string;
  /** The tag named in the request, when it named one. */
  tag?: string;
  /** Who pulled (the subject object is the same for every request of one token, for caching). */
  actor: Actor;
}

// A listener may be async (the store's reads and writes are): its rejection is logged like a throw.
type Listener<E> = (event: E) => unknown;

export class RegistryEvents {
  private readonly listeners = new Map<RegistryEventType, Listener<RegistryEvent>[]>();
  /** Listeners whose work the change's answer waits for (durable side effects: the outbox). */
  private readonly beforeAnswer = new Map<RegistryEventType, Listener<RegistryEvent>[]>();
  private readonly pulled: Listener<ManifestPulled>[] = [];
  private readonly quotaChecks: Listener<QuotaChecked>[] = [];

  constructor(private readonly log: Logger) {}

  on<T extends RegistryEventType>(type: T, listener: Listener<EventOf<T>>): void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener as Listener<RegistryEvent>);
    this.listeners.set(type, list);
  }

  /**
   * A listener the operation's caller waits for before answering (its failure is logged, never
   * the caller's): what it writes is there once the client has its answer. On SQLite the store
   * answers at once, so this costs a turn of the microtask queue; on PostgreSQL its round trips.
   */
  onBeforeAnswer<T extends RegistryEventType>(type: T, listener: Listener<EventOf<T>>): void {
    const list = this.beforeAnswer.get(type) ?? [];
    list.push(listener as Listener<RegistryEvent>);
    this.beforeAnswer.set(type, list);
  }

  /** Every registry event, whatever its type (the audit log's way in). */
  onAny(listener: Listener<RegistryEvent>): void {
    for (const type of EVENT_TYPES) this.on(type, listener);
  }

  onManifestPulled(listener: Listener<ManifestPulled>): void {
    this.pulled.push(listener);
  }

  onQuotaChecked(listener: Listener<QuotaChecked>): void {
    this.quotaChecks.push(listener);
  }

  /** Called by the registry after the change committed; answers the before-answer listeners' work, if any (never rejects). */
  emit(event: RegistryEvent): Promise<void> | undefined {
    const what = `${event.type} of ${event.repo.name}`;
    const list = this.listeners.get(event.type);
    if (list) this.run(list, event, what);
    const waited = this.beforeAnswer.get(event.type);
    if (!waited) return undefined;
    return Promise.all(
      waited.map(async (listener) => {
        try {
          await listener(event);
        } catch (e) {
          this.log.error(`listener failed for ${what}`, e);
        }
      }),
    ).then(() => undefined);
  }

  manifestPulled(event: ManifestPulled): void {
    if (this.pulled.length) this.run(this.pulled, event, `pull of ${event.repo}@${event.digest}`);
  }

  quotaChecked(event: QuotaChecked): void {
    if (this.quotaChecks.length) this.run(this.quotaChecks, event, `quota check of ${event.report.namespace.name}`);
  }

  /** Listeners run after the change committed; one failing never fails the request or the others. */
  private run<E>(listeners: Listener<E>[], event: E, what: string): void {
    for (const listener of listeners) {
      try {
        const running = listener(event);
        if (running instanceof Promise) void running.catch((e: unknown) => this.log.error(`listener failed for ${what}`, e));
      } catch (e) {
        this.log.error(`listener failed for ${what}`, e);
      }
    }
  }
}

// A record, so the compiler insists every event type is listed.
const EVENT_TYPE_SET: Record<RegistryEventType, true> = {
  manifestPushed: true,
  manifestDeleted: true,
  tagCreated: true,
  tagMoved: true,
  tagDeleted: true,
  tagRestored: true,
  tagExpiryChanged: true,
  tagImmutabilityChanged: true,
  blobUploaded: true,
  blobMounted: true,
  blobUnlinked: true,
  repositoryCreated: true,
  repositoryDeleted: true,
  visibilityChanged: true,
  repositoryStateChanged: true,
  tagRemovedFromTimeMachine: true,
  manifestsCollected: true,
  blobLinksCollected: true,
  mirrorSync: true,
};
const EVENT_TYPES = Object.keys(EVENT_TYPE_SET) as RegistryEventType[];
