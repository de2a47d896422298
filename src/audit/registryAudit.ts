// The audit log as a listener of the registry: every change to registry state, from either API,
// becomes the entry Quay writes for it (its log kind and metadata), and every /v2 pull becomes a
// pull_repo entry. Shapes follow Quay's log_action / track_and_log: metadata `repo` (the name
// within the namespace), `namespace`, the caller's public identity (`username`; robots add
// `is_robot: true`; app-specific tokens `app_specific_token` and its title; OAuth callers
// `oauth_token: true`), and for pushes and pulls `user-agent`, `tag` or `manifest_digest` and
// `mediaType`. Anonymous callers have no performer and no identity keys.
//
// Pulls are the hottest path there is, so everything per pull is a map lookup: a caller is
// resolved once per subject object (the API layer hands out one per verified token), a
// repository's namespace once per repository, and identical pulls in a batch fold into one row.
import type { Actor, ActorSubject, ManifestPulled, RegistryEvent, RegistryEvents } from "../events/registryEvents";
import type { Stores } from "../store";
import type { AuditPerformer, AuditRecord } from "../store/meta/auditLog";
import type { LogKind } from "./logKinds";
import type { Logger } from "../log";

export interface RegistryAuditDeps {
  events: RegistryEvents;
  stores: Pick<Stores, "auditWriter" | "orgs" | "users" | "robots" | "appTokens">;
  /** Where an entry that could not be written is reported (a caller's lookup failed). */
  log: Pick<Logger, "error">;
}

/** A caller as the log shows it: the performer row and the identity keys of the metadata. */
interface Caller {
  performer?: AuditPerformer;
  metadata: Record<string, unknown>;
}

const MAX_REMEMBERED = 10_000;

/** The entries an event writes: its kind and its own metadata keys (one event may write several). */
function entriesOf(event: RegistryEvent): [LogKind, Record<string, unknown>][] {
  switch (event.type) {
    case "manifestPushed":
      return [["push_repo", { ...(event.tag !== undefined ? { tag: event.tag } : { manifest_digest: event.digest }), mediaType: event.mediaType }]];
    case "tagCreated":
      return [["create_tag", { tag: event.tag, manifest_digest: event.digest }]];
    case "tagMoved":
      return [["move_tag", { tag: event.tag, manifest_digest: event.digest, original_manifest_digest: event.previousDigest }]];
    case "tagDeleted":
      // Quay's autoprune worker logs its own kind, naming itself as the performer.
      if (event.cause === "autoprune") return [["autoprune_tag_delete", { performer: "autoprune worker", tag: event.tag }]];
      return [["delete_tag", { tag: event.tag, manifest_digest: event.digest }]];
    case "manifestDeleted":
      // Quay's /v2 delete by digest logs each tag that went with the manifest.
      return event.tags.map((tag) => ["delete_tag", { tag, manifest_digest: event.digest }]);
    case "tagRestored":
      return [["revert_tag", { tag: event.tag, manifest_digest: event.digest, ...(event.previousDigest ? { original_manifest_digest: event.previousDigest } : {}) }]];
    case "tagExpiryChanged":
      return [["change_tag_expiration", { tag: event.tag, expiration_date: seconds(event.expiresMs), old_expiration_date: seconds(event.previousExpiresMs) }]];
    case "tagImmutabilityChanged":
      if (event.byPolicy) return [["tag_made_immutable_by_policy", { tag: event.tag, immutable: true }]];
      return [["change_tag_immutability", { tag: event.tag, immutable: event.immutable }]];
    case "repositoryCreated":
      return [["create_repo", {}]];
    case "repositoryDeleted":
      return [["delete_repo", {}]];
    case "visibilityChanged":
      return [["change_repo_visibility", { visibility: event.visibility }]];
    case "repositoryStateChanged":
      return [["change_repo_state", { state_changed: event.state }]];
    case "tagRemovedFromTimeMachine":
      return [["permanently_delete_tag", { tag: event.tag, manifest_digest: event.digest }]];
    case "blobUploaded":
    case "blobMounted":
    case "blobUnlinked":
      // Quay logs no entry for blobs.
      return [];
    case "manifestsCollected":
    case "blobLinksCollected":
      // Nor for its garbage collector.
      return [];
    case "mirrorSync":
      // Quay's emit_log: the verb, the message, the tags copied.
      return [[`repo_mirror_sync_${event.phase}`, { verb: event.phase === "started" ? "start" : "end", message: event.message, tag: null, tags: event.tags ?? null, stdout: null, stderr: null }]];
  }
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** Subscribes the audit log to the registry's events. */
export function auditRegistryEvents(deps: RegistryAuditDeps): void {
  const { stores } = deps;
  // Keyed by the subject object, which the API layer keeps as long as its token's cached claims.
  const callers = new WeakMap<ActorSubject, Caller>();
  // A number per remembered caller, for the pull coalescing key.
  const callerIds = new WeakMap<Caller, number>();
  let lastCallerId = 0;
  // A repository never changes namespace (ids are not reused), so its namespace is looked up once.
  // Both memories are per node, and correct so: they hold facts that never change.
  const namespaces = new Map<number, { id: number; name: string } | null>();

  // Entries are recorded in event order. A caller and a repository's namespace seen before are map
  // lookups, recorded at once (every pull after a token's first); new ones are read from the store
  // (asynchronously), and entries wait behind them until they are known.
  let pending: Promise<void> | undefined;
  function withCaller(subject: ActorSubject | undefined, repo: { id: number; name: string }, write: (caller: Caller | undefined) => void): void {
    const known = subject && callers.get(subject);
    if (!pending && (!subject || known) && namespaces.has(repo.id)) return write(known);
    const step = (pending ?? Promise.resolve()).then(async () => {
      await rememberNamespace(repo);
      write(subject && (await callerOf(subject)));
    });
    const tail = step.then(
      () => {
        if (pending === tail) pending = undefined;
      },
      (e: unknown) => {
        if (pending === tail) pending = undefined;
        throw e;
      },
    );
    pending = tail;
    // The log's readers wait for it: a caller reading the log after its request sees the entry.
    stores.auditWriter.awaiting(tail);
    void tail.catch((e: unknown) => deps.log.error("audit entry lost", e));
  }

  async function callerOf(subject: ActorSubject): Promise<Caller> {
    let caller = callers.get(subject);
    if (!caller) {
      caller = await resolve(subject);
      callers.set(subject, caller);
      callerIds.set(caller, ++lastCallerId);
    }
    return caller;
  }

  async function resolve(subject: ActorSubject): Promise<Caller> {
    if (subject.kind === "robot") {
      const robot = await stores.robots.byName(subject.name);
      return {
        performer: robot ? { kind: "robot", id: robot.id, name: robot.fullName } : undefined,
        metadata: { username: subject.name, is_robot: true },
      };
    }
    const user = await stores.users.byName(subject.name);
    const performer: AuditPerformer | undefined = user ? { kind: "user", id: user.id, name: user.username } : undefined;
    if (subject.appTokenUuid !== undefined) {
      const token = await stores.appTokens.byUuid(subject.appTokenUuid);
      return {
        performer,
        metadata: {
          app_specific_token: subject.appTokenUuid,
          ...(token ? { app_specific_token_title: token.title } : {}),
          username: subject.name,
        },
      };
    }
    if (subject.viaOAuth || subject.oauthTokenUuid !== undefined) return { performer, metadata: { username: subject.name, oauth_token: true } };
    return { performer, metadata: { username: subject.name } };
  }

  async function rememberNamespace(repo: { id: number; name: string }): Promise<void> {
    if (namespaces.has(repo.id)) return;
    const nsName = repo.name.slice(0, repo.name.indexOf("/"));
    const row = await stores.orgs.namespace(nsName);
    if (namespaces.size >= MAX_REMEMBERED) namespaces.clear();
    namespaces.set(repo.id, row ? { id: row.id, name: nsName } : null);
  }

  function build(kind: LogKind, repo: { id: number; name: string }, actor: Actor, own: Record<string, unknown>, caller: Caller | undefined, namespace = namespaces.get(repo.id)): AuditRecord {
    const slash = repo.name.indexOf("/");
    const nsName = repo.name.slice(0, slash);
    // Built by assignment, not spreads: this runs for every push and every new pull.
    const metadata: Record<string, unknown> = { repo: repo.name.slice(slash + 1), namespace: nsName };
    if (kind === "push_repo" || kind === "pull_repo") metadata["user-agent"] = actor.userAgent ?? "";
    for (const key in own) metadata[key] = own[key];
    if (caller) for (const key in caller.metadata) metadata[key] = caller.metadata[key];
    return {
      kind,
      namespace: namespace ?? undefined,
      repositoryId: repo.id,
      performer: caller?.performer,
      ip: actor.ip === undefined || actor.ip === "unknown" ? undefined : actor.ip,
      metadata,
    };
  }

  deps.events.onAny((event) => {
    const entries = entriesOf(event);
    if (!entries.length) return;
    withCaller(event.actor.subject, event.repo, (caller) => {
      for (const [kind, own] of entries) stores.auditWriter.record(build(kind, event.repo, event.actor, own, caller));
    });
  });
  // Identical pulls in one batch window become one entry with a count: the key holds everything
  // the record is made of (the caller by its remembered object's id), so equal keys mean equal records.
  deps.events.onManifestPulled((event: ManifestPulled) => {
    // withCaller's fast path inline: no closure per pull when the caller is remembered.
    const subject = event.actor.subject;
    const known = subject && callers.get(subject);
    if (!pending && (!subject || known) && namespaces.has(event.repoId)) recordPull(event, known);
    else withCaller(subject, { id: event.repoId, name: event.repo }, (caller) => recordPull(event, caller));
  });

  function recordPull(event: ManifestPulled, caller: Caller | undefined): void {
    const { actor } = event;
    // Taken now: the batch builds the record later, when the memory may have been cleared.
    const namespace = namespaces.get(event.repoId);
    const key = `${event.repoId}\n${event.tag ?? ""}\n${event.digest}\n${event.mediaType}\n${actor.ip}\n${caller ? callerIds.get(caller) : 0}\n${actor.userAgent ?? ""}`;
    // The record is built only for the first pull of its batch.
    stores.auditWriter.recordCoalescing({
      key,
      build: () => {
        const own: Record<string, unknown> = event.tag !== undefined ? { tag: event.tag } : { manifest_digest: event.digest };
        own.mediaType = event.mediaType;
        return build("pull_repo", { id: event.repoId, name: event.repo }, actor, own, caller, namespace);
      },
    });
  }
}
